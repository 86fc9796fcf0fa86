-- W5 echo: TCP echo server + C clients on 127.0.0.1 (ephemeral port), each doing R round trips
-- of a 64-byte message, all in one process (asyncio streams); checksum = total bytes echoed =
-- C*R*64. Mirrors ../../../shared/bench/peers/py-asyncio/w5_echo.py line for line.
local bytes = {}
for i = 0, 63 do bytes[#bytes + 1] = string.char(i) end
local MSG = table.concat(bytes)

local handle = async(function(reader, writer)
  while true do
    local data = await(reader:read(65536))
    if not data or data == "" then break end -- EOF
    writer:write(data)
    await(writer:drain())
  end
  writer:close()
end)

local client = async(function(port, r)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local total = 0
  for _ = 1, r do
    writer:write(MSG)
    await(writer:drain())
    local data = await(reader:readexactly(64))
    if data ~= MSG then error("echo mismatch") end
    total = total + #data
  end
  writer:close()
  await(writer:wait_closed())
  return total
end)

local main = async(function(c, r)
  local server = await(asyncio.start_server(handle, "127.0.0.1", 0))
  local port = server.port
  local clients = {}
  for i = 1, c do clients[i] = client(port, r) end
  local totals = await(asyncio.gather(table.unpack(clients, 1, c)))
  server:close()
  await(server:wait_closed())
  local sum = 0
  for i = 1, totals.n do sum = sum + totals[i] end
  return sum
end)

local c = tonumber(arg[1]) or 50
local r = tonumber(arg[2]) or 2000
print(("RESULT echo %d"):format(asyncio.run(main(c, r))))
