-- The loop's own to-do list: call_soon, call_later, and cancelling a handle.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local function say(message)
  print(now(), message)
end

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()
  loop:call_later(2, say, "call_later(2): two seconds from the start")
  loop:call_later(1, say, "call_later(1): one second from the start")
  loop:call_soon(say, "call_soon: as soon as main lets go")
  local handle = loop:call_later(1.5, say, "never printed: this timer is cancelled")
  handle:cancel()

  say("main: everything is scheduled, now main sleeps")
  await(asyncio.sleep(3))
  say("main: awake again")
end)())
