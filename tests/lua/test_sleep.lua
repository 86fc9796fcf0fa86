-- Tests for asyncio.sleep (runtime/core/coro.cpp: sleep_factory, sleep_body).
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

T.test("sleep is a coroutine function; calling it makes a coroutine object", function()
  T.ok(asyncio.iscoroutinefunction(asyncio.sleep))
  local c = asyncio.sleep(1)
  T.ok(asyncio.iscoroutine(c))
  T.eq(now(), 0.0, "nothing happens until awaited")
  await(c)
  T.eq(now(), 1.0)
end)

T.test("sleep(d) returns after exactly d seconds of loop time", function()
  await(asyncio.sleep(2.5))
  T.eq(now(), 2.5)
  await(asyncio.sleep(1e-6))
  T.eq(now(), 2.5 + 1e-6)
end)

T.test("sleep(d, value) returns value; without value, nil", function()
  T.eq(await(asyncio.sleep(1, "v")), "v")
  local t = {}
  T.ok(rawequal(await(asyncio.sleep(0, t)), t))
  T.eq(select("#", await(asyncio.sleep(0))), 1)
  T.eq(await(asyncio.sleep(1)), nil)
  T.eq(await(asyncio.sleep(0, false)), false)
end)

T.test("sleep(0) yields for exactly one loop iteration", function()
  local log = {}
  local l = asyncio.get_running_loop()
  l:call_soon(function()
    log[#log + 1] = "cb1"
    l:call_soon(function() log[#log + 1] = "cb2" end)
  end)
  await(asyncio.sleep(0))
  T.eq(log, {"cb1"}, "one iteration: callbacks ready before ran, their follow-ups did not")
  await(asyncio.sleep(0))
  T.eq(log, {"cb1", "cb2"})
  T.eq(now(), 0.0)
end)

T.test("sleep(0) lets tasks take turns", function()
  local log = {}
  local function worker(name)
    return asyncio.create_task(async(function()
      for i = 1, 3 do
        log[#log + 1] = name .. i
        await(asyncio.sleep(0))
      end
    end)())
  end
  local a, b = worker("a"), worker("b")
  await(a); await(b)
  T.eq(log, {"a1", "b1", "a2", "b2", "a3", "b3"})
  T.eq(now(), 0.0)
end)

T.test("a negative zero delay behaves like sleep(0)", function()
  T.eq(await(asyncio.sleep(-0.0, "z")), "z")
  T.eq(now(), 0.0)
end)

T.test("sleep(math.huge) with something else to do does not block the loop", function()
  local t = asyncio.create_task(asyncio.sleep(math.huge))
  await(asyncio.sleep(10))
  T.eq(t:done(), false)
  T.eq(now(), 10.0)
  t:cancel()
  pcall(await, t)
  T.eq(t:done(), true)
end)

T.test("sleep(math.huge) raises CancelledError(msg) when cancelled", function()
  local inside
  local t = asyncio.create_task(async(function()
    local ok, err = pcall(await, asyncio.sleep(math.huge, "value"))
    inside = {ok, tostring(err)}
    if not ok then error(err, 0) end
    return "sleep returned"
  end)())
  await(asyncio.sleep(1))
  t:cancel("wake")
  local ok, err = pcall(await, t)
  T.eq(inside, {false, "CancelledError: wake"}, "the endless sleep must raise, not return")
  T.eq(ok, false)
  T.ok(asyncio.CancelledError:is(err), tostring(err))
  T.eq(t:cancelled(), true)
end)

T.test("a negative delay is rejected with a clear message", function()
  local err = T.raises("bad argument #1 to '[%w.]*sleep' %(non%-negative delay expected, got %-1", asyncio.sleep, -1)
  T.ok(err ~= nil)
  T.raises("non%-negative delay expected", asyncio.sleep, -1e-9)
  T.raises("non%-negative delay expected", asyncio.sleep, -math.huge)
end)

T.test("a NaN delay is rejected with a clear message", function()
  T.raises("bad argument #1 to '[%w.]*sleep' %(delay is NaN%)", asyncio.sleep, 0 / 0)
end)

T.test("a non-number delay is rejected with a clear message", function()
  T.raises("bad argument #1 to '[%w.]*sleep' %(number of seconds expected, got string%)", asyncio.sleep, "1")
  T.raises("number of seconds expected, got nil", asyncio.sleep, nil)
  T.raises("number of seconds expected, got no value", asyncio.sleep)
  T.raises("number of seconds expected, got table", asyncio.sleep, {})
  T.raises("number of seconds expected, got boolean", asyncio.sleep, true)
end)

T.test("the delay is checked when sleep is called, not when awaited", function()
  local ok = pcall(asyncio.sleep, -1)
  T.eq(ok, false)
  T.eq(now(), 0.0)
end)

T.test("an integer delay works like the float", function()
  await(asyncio.sleep(3))
  T.eq(now(), 3.0)
  T.eq(math.type(now()), "float")
end)

T.test("a cancelled sleep raises CancelledError at once", function()
  local t = asyncio.create_task(asyncio.sleep(100, "never"))
  await(asyncio.sleep(1))
  t:cancel("stop sleeping")
  local err = T.raises(asyncio.CancelledError, function() await(t) end)
  T.eq(err.message, "stop sleeping")
  T.eq(now(), 1.0)
end)

T.test("a cancelled sleep(0) raises CancelledError", function()
  local t = asyncio.create_task(async(function()
    while true do await(asyncio.sleep(0)) end
  end)())
  await(asyncio.sleep(0))
  t:cancel()
  T.raises(asyncio.CancelledError, function() await(t) end)
  T.eq(now(), 0.0)
end)

T.test("sleep inside wait_for: the timeout cuts it short", function()
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(asyncio.sleep(10), 2)) end)
  T.eq(now(), 2.0)
end)

T.test("many concurrent sleeps end at their own times", function()
  local ends = {}
  local tasks = {}
  for i = 1, 100 do
    tasks[i] = asyncio.create_task(async(function()
      await(asyncio.sleep(i % 10))
      ends[i] = now()
    end)())
  end
  for _, t in ipairs(tasks) do await(t) end
  for i = 1, 100 do
    if ends[i] ~= (i % 10) + 0.0 then T.eq(ends[i], (i % 10) + 0.0, "task " .. i) end
  end
  T.eq(now(), 9.0)
end)

T.done()
