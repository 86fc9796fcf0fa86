-- Tests for the loop's clocks and timers (runtime/core/clock.h, loop.cpp,
-- loop_lib.cpp, time_lib.cpp): the virtual clock, call_soon / call_later /
-- call_at and their handles, time.sleep, the real clock.
local T = require("testlib")

local function loop() return asyncio.get_running_loop() end
local function now() return loop():time() end

T.test("the virtual clock starts at 0.0", function()
  T.eq(now(), 0.0)
  T.eq(math.type(now()), "float")
  T.eq(loop():is_virtual(), true)
end)

T.test("sleeping an hour reads exactly 3600.0, at once", function()
  local real0 = time.monotonic()
  await(asyncio.sleep(3600))
  T.eq(now(), 3600.0)
  T.ok(time.monotonic() - real0 < 1, "no real time spent")
end)

T.test("the clock does not move while callbacks are ready", function()
  local n = 0
  for _ = 1, 100 do
    await(asyncio.sleep(0))
    n = n + 1
  end
  T.eq(n, 100)
  T.eq(now(), 0.0)
end)

T.test("the clock jumps straight to each timer, in order", function()
  local seen = {}
  local function at(d)
    return asyncio.create_task(async(function()
      await(asyncio.sleep(d))
      seen[#seen + 1] = {d, now()}
    end)())
  end
  local tasks = {at(2.5), at(0.25), at(1), at(1e-3), at(1000)}
  for _, t in ipairs(tasks) do await(t) end
  T.eq(seen, {{1e-3, 1e-3}, {0.25, 0.25}, {1, 1.0}, {2.5, 2.5}, {1000, 1000.0}})
end)

T.test("sleeps add up exactly on the virtual clock", function()
  for _ = 1, 4 do await(asyncio.sleep(0.25)) end
  T.eq(now(), 1.0)
  await(asyncio.sleep(0.5))
  T.eq(now(), 1.5)
end)

T.test("timers due at the same instant fire in scheduling order", function()
  local log = {}
  local l = loop()
  for i = 1, 10 do
    l:call_later(1, function() log[#log + 1] = i end)
  end
  l:call_at(1.0, function() log[#log + 1] = "at" end)
  await(asyncio.sleep(2))
  T.eq(log, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "at"})
end)

T.test("sleeping tasks due at the same instant wake in the order they slept", function()
  local log = {}
  for i = 1, 5 do
    asyncio.create_task(async(function()
      await(asyncio.sleep(3))
      log[#log + 1] = i
    end)())
  end
  await(asyncio.sleep(4))
  T.eq(log, {1, 2, 3, 4, 5})
end)

T.test("call_later and call_at fire at their time with their arguments", function()
  local l = loop()
  local log = {}
  l:call_later(2, function(a, b) log[#log + 1] = {"later", a, b, now()} end, "x", "y")
  l:call_at(1.5, function(...) log[#log + 1] = {"at", select("#", ...), now()} end, nil, nil)
  await(asyncio.sleep(3))
  T.eq(log, {{"at", 2, 1.5}, {"later", "x", "y", 2.0}})
end)

T.test("call_soon runs callbacks in FIFO order on the next iteration", function()
  local l = loop()
  local log = {}
  for i = 1, 5 do l:call_soon(function(v) log[#log + 1] = v end, i) end
  T.eq(log, {}, "nothing runs inside call_soon")
  await(asyncio.sleep(0))
  T.eq(log, {1, 2, 3, 4, 5})
  T.eq(now(), 0.0)
end)

T.test("many call_soon callbacks keep their order", function()
  local l = loop()
  local log = {}
  for i = 1, 2000 do l:call_soon(function() log[#log + 1] = i end) end
  await(asyncio.sleep(0))
  T.eq(#log, 2000)
  for i = 1, 2000 do
    if log[i] ~= i then T.eq(log[i], i, "position " .. i) end
  end
end)

T.test("a callback scheduled by a callback runs on the following iteration", function()
  local l = loop()
  local log = {}
  l:call_soon(function()
    log[#log + 1] = "first"
    l:call_soon(function() log[#log + 1] = "nested" end)
  end)
  l:call_soon(function() log[#log + 1] = "second" end)
  await(asyncio.sleep(0))
  T.eq(log, {"first", "second"})
  await(asyncio.sleep(0))
  T.eq(log, {"first", "second", "nested"})
end)

T.test("handles: cancel() stops the callback; cancelled() tells", function()
  local l = loop()
  local log = {}
  local h1 = l:call_soon(function() log[#log + 1] = "soon" end)
  local h2 = l:call_later(1, function() log[#log + 1] = "later" end)
  local h3 = l:call_at(2, function() log[#log + 1] = "at" end)
  local keep = l:call_later(1, function() log[#log + 1] = "kept" end)
  T.eq(h1:cancelled(), false)
  h1:cancel(); h2:cancel(); h3:cancel()
  T.eq({h1:cancelled(), h2:cancelled(), h3:cancelled(), keep:cancelled()}, {true, true, true, false})
  await(asyncio.sleep(3))
  T.eq(log, {"kept"})
  T.eq(now(), 3.0)
end)

T.test("cancelling a handle twice or after it ran is harmless", function()
  local l = loop()
  local n = 0
  local h = l:call_soon(function() n = n + 1 end)
  await(asyncio.sleep(0))
  h:cancel()
  h:cancel()
  T.eq(n, 1)
  T.eq(h:cancelled(), true)
end)

T.test("a cancelled timer does not keep the virtual clock busy", function()
  local l = loop()
  local h = l:call_later(100, function() end)
  h:cancel()
  local f = asyncio.Future()
  l:call_later(5, function() f:set_result() end)
  await(f)
  T.eq(now(), 5.0)
end)

T.test("a timer handle tells its when(); tostring shows it", function()
  local l = loop()
  await(asyncio.sleep(10))
  local h = l:call_later(2.5, function() end)
  T.eq(h:when(), 12.5)
  local h2 = l:call_at(20, function() end)
  T.eq(h2:when(), 20.0)
  T.ok(tostring(h):find("^<TimerHandle when=12.5"), tostring(h))
  h:cancel()
  T.ok(tostring(h):find("^<TimerHandle cancelled"), tostring(h))
  h2:cancel()
  local s = l:call_soon(function() end)
  T.ok(tostring(s):find("^<Handle "), tostring(s))
end)

T.test("call_at in the past fires on the next iteration; the clock never goes back", function()
  local l = loop()
  await(asyncio.sleep(5))
  local at
  l:call_at(1, function() at = now() end)
  await(asyncio.sleep(0))
  -- As in Python, due timers join the ready queue behind what was already
  -- ready (this task's wake-up), so the callback runs later in that iteration.
  T.eq(at, nil)
  await(asyncio.sleep(0))
  T.eq(at, 5.0)
  T.eq(now(), 5.0)
end)

T.test("call_later(0) runs on the next iterations, after call_soon callbacks scheduled before it", function()
  local l = loop()
  local log = {}
  l:call_soon(function() log[#log + 1] = "soon" end)
  l:call_later(0, function() log[#log + 1] = "later0" end)
  await(asyncio.sleep(0))
  await(asyncio.sleep(0))
  T.eq(log, {"soon", "later0"})
  T.eq(now(), 0.0)
end)

T.test("callbacks may be callable tables", function()
  local l = loop()
  local got
  local obj = setmetatable({}, {__call = function(self, v) got = v end})
  l:call_soon(obj, "called")
  await(asyncio.sleep(0))
  T.eq(got, "called")
end)

T.test("bad arguments to call_soon / call_later / call_at", function()
  local l = loop()
  T.raises("bad argument #1 to 'call_soon' %(function expected, got number%)", function() l:call_soon(5) end)
  T.raises("bad argument #2 to 'call_later' %(function expected, got no value%)", function() l:call_later(1) end)
  T.raises("bad argument #1 to 'call_later' %(number expected, got string%)",
    function() l:call_later("1", print) end)
  T.raises("non%-negative delay expected", function() l:call_later(-1, print) end)
  T.raises("NaN", function() l:call_later(0 / 0, print) end)
  T.raises("NaN", function() l:call_at(0 / 0, print) end)
  T.raises("bad argument #1 to 'call_at' %(number expected, got nil%)", function() l:call_at(nil, print) end)
end)

T.test("time.sleep advances the virtual clock by exactly its argument", function()
  local real0 = time.monotonic()
  time.sleep(2.5)
  T.eq(now(), 2.5)
  await(asyncio.sleep(1))
  T.eq(now(), 3.5)
  time.sleep(0)
  T.eq(now(), 3.5)
  T.ok(time.monotonic() - real0 < 1, "no real time spent")
end)

T.test("time.sleep under the virtual clock makes due timers fire late, not early", function()
  local l = loop()
  local fired_at
  l:call_later(1, function() fired_at = now() end)
  time.sleep(5) -- the loop is "blocked" for 5 seconds
  await(asyncio.sleep(0))
  await(asyncio.sleep(0))
  T.eq(fired_at, 5.0)
end)

T.test("time.sleep rejects bad arguments", function()
  T.raises("bad argument #1 to '[%w.]*sleep' %(number of seconds expected, got no value%)", time.sleep)
  T.raises("number of seconds expected, got string", time.sleep, "1")
  T.raises("non%-negative", time.sleep, -1)
  T.raises("non%-negative", time.sleep, 0 / 0)
  T.eq(now(), 0.0)
end)

T.test("time.time is the wall clock, time.monotonic a monotonic float", function()
  T.ok(math.abs(time.time() - os.time()) < 2, "time.time() near os.time()")
  T.eq(math.type(time.time()), "float")
  local a = time.monotonic()
  local b = time.monotonic()
  T.ok(b >= a)
end)

-- The real clock, outside T.test (which runs on the virtual clock).
local real_ok, real_err = pcall(function()
  return asyncio.run(async(function()
    local l = asyncio.get_running_loop()
    assert(not l:is_virtual(), "clock = 'real' gives a real clock")
    local prev, backwards = l:time(), false
    local t0 = time.monotonic()
    for _ = 1, 5 do
      await(asyncio.sleep(0.01))
      local t = l:time()
      if t < prev then backwards = true end
      prev = t
    end
    local start = l:time()
    local fired
    l:call_later(0.02, function() fired = l:time() end)
    await(asyncio.sleep(0.03))
    return {
      backwards = backwards,
      close_to_monotonic = math.abs(l:time() - time.monotonic()) < 0.5,
      elapsed_loop = prev - t0,
      fired_after = fired and (fired - start) or -1,
    }
  end)(), {clock = "real"})
end)

-- A timer at math.huge is "never" (as sleep(math.huge) is, and as Trio's
-- autojump treats an infinite deadline): the virtual clock must not jump to
-- infinity; with nothing else to do, run reports the deadlock.
local inf_fired_at
local inf_ok, inf_err = pcall(asyncio.run, async(function()
  local l = asyncio.get_running_loop()
  l:call_later(math.huge, function() inf_fired_at = l:time() end)
  await(asyncio.Future())
end)(), {clock = "virtual"})

T.test("a timer at math.huge never fires; the virtual clock does not jump to infinity", function()
  T.eq(inf_fired_at, nil, "fired at loop time " .. tostring(inf_fired_at))
  T.eq(inf_ok, false)
  T.ok(tostring(inf_err):find("deadlock", 1, true), tostring(inf_err))
end)

T.test("the real clock is monotonic and follows real time", function()
  T.eq(real_ok, true, tostring(real_err))
  T.eq(real_err.backwards, false, "never backwards")
  T.ok(real_err.close_to_monotonic, "reads the monotonic clock")
  T.ok(real_err.elapsed_loop >= 0.05 - 1e-3, "five 10 ms sleeps took >= 50 ms: " .. real_err.elapsed_loop)
  T.ok(real_err.fired_after >= 0.02 - 1e-6, "call_later(0.02) fired after 20 ms: " .. real_err.fired_after)
end)

T.done()
