-- chat_room.lua: a websocket chat room on luasync's http.serve.
--
--   luasync docs/examples/chat_room.lua [PORT]   serve ws://127.0.0.1:PORT/chat
--   luasync docs/examples/chat_room.lua --demo   serve on a free port, let three
--                                                bots chat, print the room, stop
--
-- Every message a member sends goes to every member; joining and leaving are
-- announced. Each member's websocket is served by its own handler task; a
-- member whose connection is slow only slows its own sending task (send
-- waits for that connection to drain), never the room.
local http = require("asyncio.http")

local members = {}  -- websocket -> name

local function broadcast(text)
  for ws in pairs(members) do
    -- one task per recipient: a slow member never blocks the others
    asyncio.create_task(async(function() pcall(await, ws:send(text)) end)())
  end
end

local chat = async(function(req)
  if req.path ~= "/chat" then return {status = 404, body = "try /chat\n"} end
  local ws <close> = await(req:upgrade_websocket())
  local name = req.args.name or ("guest-" .. tostring(math.random(1000, 9999)))
  members[ws] = name
  broadcast(name .. " joined")
  while true do
    local msg = await(ws:receive())
    if msg == nil then break end  -- the member left
    if type(msg) == "string" then broadcast(name .. ": " .. msg) end
  end
  members[ws] = nil
  broadcast(name .. " left")
end)

-- A bot: joins, says its lines, listens for a while, leaves; returns what it heard.
local bot = async(function(url, name, lines)
  local ws <close> = await(http.ws_connect(url .. "?name=" .. name))
  local heard = {}
  local listener = asyncio.create_task(async(function()
    while true do
      local msg = await(ws:receive())
      if msg == nil then return end
      heard[#heard + 1] = msg
    end
  end)())
  await(asyncio.sleep(0.1))  -- everyone is in
  for _, line in ipairs(lines) do
    await(ws:send(line))
    await(asyncio.sleep(0.1))
  end
  await(asyncio.sleep(0.5))
  listener:cancel()
  return heard
end)

asyncio.run(async(function()
  local demo = arg[1] == "--demo"
  local server <close> = await(http.serve(chat, {port = demo and 0 or tonumber(arg[1]) or 8765}))
  local url = "ws://127.0.0.1:" .. server.port .. "/chat"
  if not demo then
    print("chat room on " .. url .. " (Ctrl-C to stop)")
    await(server:serve_forever())
    return
  end
  local heard = await(asyncio.gather(
    bot(url, "ada", {"hello, room"}),
    bot(url, "bob", {"hi ada"}),
    bot(url, "cy", {"hey both", "bye"})))
  for _, line in ipairs(heard[1]) do print("ada heard: " .. line) end
end)())
