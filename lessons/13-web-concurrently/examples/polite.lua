-- A semaphore keeps at most 2 requests in flight.
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

asyncio.run(async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local session <close> = http.ClientSession()
  local polite = asyncio.Semaphore(2)
  local in_flight = 0

  local fetch = async(function(n)
    local _ <close> = await(polite:hold())       -- wait for one of the 2 slots
    in_flight = in_flight + 1
    print(now(), "request " .. n .. " starts, in flight: " .. in_flight)
    local resp <close> = await(session:get(server.url .. "/delay/1"))
    in_flight = in_flight - 1
    return resp.status
  end)                                           -- the slot is released here

  local coros = {}
  for n = 1, 6 do coros[n] = fetch(n) end
  local statuses = await(asyncio.gather(table.unpack(coros)))
  print(now(), "all done: " .. table.concat(statuses, " "))
end)())
