-- Tests for asyncio.Event (runtime/core/lua/locks.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

T.test("a new event is not set", function()
  local ev = asyncio.Event()
  T.eq(ev:is_set(), false)
  ev:set()
  T.eq(ev:is_set(), true)
  ev:clear()
  T.eq(ev:is_set(), false)
end)

T.test("wait blocks until set and wakes every waiter", function()
  local ev = asyncio.Event()
  local woke = {}
  local function waiter(name)
    local r = await(ev:wait())
    woke[#woke + 1] = name .. "@" .. string.format("%g", now())
    return r
  end
  local a, b, c = spawn(waiter, "a"), spawn(waiter, "b"), spawn(waiter, "c")
  asyncio.get_running_loop():call_later(2, function() ev:set() end)
  local res = await(asyncio.gather(a, b, c))
  T.eq(res, {true, true, true, n = 3})
  T.eq(woke, {"a@2", "b@2", "c@2"})
end)

T.test("wait on a set event returns at once", function()
  local ev = asyncio.Event()
  ev:set()
  local c = ev:wait()
  T.ok(asyncio.iscoroutine(c), "wait() makes a coroutine object")
  T.eq(await(c), true)
  T.eq(now(), 0.0)
end)

T.test("set then clear before the waiters run still wakes them", function()
  local ev = asyncio.Event()
  local woke = 0
  local t = spawn(function() await(ev:wait()); woke = woke + 1 end)
  await(asyncio.sleep(0))
  ev:set()
  ev:clear()
  await(t)
  T.eq(woke, 1)
  T.eq(ev:is_set(), false)
end)

T.test("after clear, wait blocks again", function()
  local ev = asyncio.Event()
  ev:set()
  ev:clear()
  local t = spawn(function() await(ev:wait()); return now() end)
  await(asyncio.sleep(3))
  T.ok(not t:done())
  ev:set()
  T.eq(await(t), 3.0)
end)

T.test("a cancelled waiter leaves the event clean", function()
  local ev = asyncio.Event()
  local t = spawn(function() await(ev:wait()) end)
  await(asyncio.sleep(0))
  T.eq(tostring(ev), "<asyncio.Event [unset, waiters:1]>")
  t:cancel()
  T.raises(asyncio.CancelledError, function() await(t) end)
  T.eq(tostring(ev), "<asyncio.Event [unset]>")
  ev:set()
  T.eq(tostring(ev), "<asyncio.Event [set]>")
end)

T.test("wait works with wait_for", function()
  local ev = asyncio.Event()
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(ev:wait(), 1.5)) end)
  T.eq(now(), 1.5)
  asyncio.get_running_loop():call_later(1, function() ev:set() end)
  T.eq(await(asyncio.wait_for(ev:wait(), 5)), true)
  T.eq(now(), 2.5)
end)

T.done()
