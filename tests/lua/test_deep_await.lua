-- Deep awaits (runtime/core/coro.cpp, await_value): coroutine objects
-- awaiting each other nest without a fixed limit; past what the Lua stack
-- holds, a clear "stack overflow" error that a pcall in the task catches.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

-- f(n): n coroutine objects awaiting each other; returns n.
local f
local f_await_line = debug.getinfo(1, "l").currentline + 3
f = async(function(n)
  if n == 0 then return 0 end
  return await(f(n - 1)) + 1
end)

T.test("100,000 coroutine objects awaiting each other", function()
  T.eq(await(f(100000)), 100000)
  T.eq(now(), 0.0)
end)

T.test("a deep chain runs inline: no other task runs meanwhile, no time passes", function()
  local ran = false
  local other = asyncio.create_task(async(function() ran = true end)())
  T.eq(await(f(20000)), 20000)
  T.eq(ran, false, "the ready task waits for the chain's first suspension")
  await(other)
  T.eq(now(), 0.0)
end)

T.test("a deep chain that suspends at the bottom resumes and unwinds", function()
  local g
  g = async(function(n)
    if n == 0 then return await(asyncio.sleep(5, 0)) end
    return await(g(n - 1)) + 1
  end)
  T.eq(await(g(100000)), 100000)
  T.eq(now(), 5.0)
end)

T.test("a pcall at every level (two C calls per level) nests 5,000 deep", function()
  local g
  g = async(function(n)
    if n == 0 then error("bottom", 0) end
    local ok, err = pcall(await, g(n - 1))
    T.eq(ok, false)
    error(err, 0)  -- re-raised level after level
  end)
  -- (Lua's error recovery walks the whole stack: kept small, it is quadratic)
  local ok, err = pcall(await, g(5000))
  T.eq({ok, err}, {false, "bottom"})
end)

T.test("too deep: 'stack overflow' at the await, caught by a pcall in the task", function()
  local ok, err = pcall(await, f(10000000))
  T.eq(ok, false)
  T.ok(tostring(err):find("stack overflow", 1, true), err)
  T.ok(tostring(err):find("coroutines awaiting each other nest too deep", 1, true), err)
  -- The task goes on, and the stack is usable again, for another overflow too.
  T.eq(await(f(100000)), 100000)
  ok, err = pcall(await, f(10000000))
  T.ok(not ok and tostring(err):find("stack overflow", 1, true), err)
  T.eq(await(f(1000)), 1000)
end)

T.test("a task that fails too deep: its traceback is cut and names the coroutines", function()
  local t = asyncio.create_task(f(10000000), "deep")
  local ok, err = pcall(await, t)
  T.eq(ok, false)
  T.ok(tostring(err):find("stack overflow", 1, true), err)
  local st = t:get_stack()
  T.ok(#st > 10 and #st <= 41, "frames shown: " .. #st)
  T.eq(st[#st].name, "coroutine 'f'")
  T.ok(st[#st].source:find("test_deep_await.lua$"), st[#st].source)
  T.eq(st[#st].line, f_await_line)
end)

T.test("a suspended 10,000-deep task: get_stack shows the newest frames", function()
  local g
  local sleep_line = debug.getinfo(1, "l").currentline + 2
  g = async(function(n)
    if n == 0 then await(asyncio.sleep(100)) return 0 end
    return await(g(n - 1)) + 1
  end)
  local t = asyncio.create_task(g(10000))
  await(asyncio.sleep(1))
  local st = t:get_stack()
  T.ok(#st > 10 and #st <= 41, "frames: " .. #st)
  T.eq(st[#st].name, "coroutine 'g'")
  T.eq(st[#st].line, sleep_line)
  t:cancel()
  T.raises("CancelledError", function() await(t) end)
end)

T.test("cancelling a task 10,000 awaits deep: every level sees CancelledError", function()
  local unwound = 0
  local g
  g = async(function(n)
    if n == 0 then await(asyncio.sleep(100)) return 0 end
    local ok, err = pcall(await, g(n - 1))
    unwound = unwound + 1
    if not ok then error(err, 0) end
    return err + 1
  end)
  local t = asyncio.create_task(g(10000))
  await(asyncio.sleep(1))
  T.eq(t:cancel("stop"), true)
  local ok, err = pcall(await, t)
  T.eq(ok, false)
  T.eq(tostring(err), "CancelledError: stop")
  T.eq(unwound, 10000)
  T.ok(t:cancelled())
  T.eq(now(), 1.0)
end)

T.test("coroutine objects of a deep chain end done; each can be awaited once", function()
  local objs = {}
  local g
  g = async(function(n)
    if n == 0 then return 0 end
    local c = g(n - 1)
    objs[#objs + 1] = c
    return await(c) + 1
  end)
  T.eq(await(g(500)), 500)
  T.eq(#objs, 500)
  for _, c in ipairs(objs) do T.ok(tostring(c):find("%(done%)>$"), tostring(c)) end
  T.raises("already awaited", function() await(objs[250]) end)
end)

T.test("__await objects and native bodies (asyncio.sleep) in a deep chain", function()
  local g
  g = async(function(n)
    if n == 0 then return await(asyncio.sleep(1, 0)) end
    if n % 2 == 0 then
      return await(setmetatable({}, {__await = function() return g(n - 1) end})) + 1
    end
    return await(g(n - 1)) + 1
  end)
  T.eq(await(g(10000)), 10000)
  T.eq(now(), 1.0)
end)

T.test("10,000 tasks awaiting tasks, and 10,000 nested gathers: results and cancellation", function()
  local ft, fg
  ft = async(function(n)
    if n == 0 then await(asyncio.sleep(1)) return 0 end
    return await(asyncio.create_task(ft(n - 1))) + 1
  end)
  fg = async(function(n)
    if n == 0 then await(asyncio.sleep(1)) return 0 end
    return await(asyncio.gather(fg(n - 1)))[1] + 1
  end)
  T.eq(await(ft(10000)), 10000)
  T.eq(await(fg(10000)), 10000)
  T.eq(now(), 2.0)
  -- Cancelling the outermost: the request travels down 1,000 tasks, or 100
  -- gathers, at once; deeper tasks get it when they wake (here when the
  -- bottom's sleep ends), so the whole chain still ends cancelled.
  local t = asyncio.create_task(ft(10000))
  await(asyncio.sleep(0.5))
  t:cancel()
  T.raises("CancelledError", function() await(t) end)
  T.ok(t:cancelled())
  T.eq(now(), 3.0)
  t = asyncio.create_task(fg(10000))
  await(asyncio.sleep(0.5))
  t:cancel()
  T.raises("CancelledError", function() await(t) end)
  T.ok(t:cancelled())
  T.eq(now(), 4.0)
  -- Within those limits the cancellation is immediate.
  t = asyncio.create_task(fg(90))
  await(asyncio.sleep(0.5))
  t:cancel()
  T.raises("CancelledError", function() await(t) end)
  T.eq(now(), 4.5)
end)

T.test("gathers nested directly too deep to cancel: a clear error, not a crash", function()
  local g = asyncio.gather(asyncio.sleep(100))
  local bottom = g
  for _ = 1, 500 do g = asyncio.gather(g) end
  local ok, err = pcall(g.cancel, g)
  T.eq(ok, false)
  T.ok(tostring(err):find("cancel chain too deep", 1, true), err)
  -- A chain within the limit cancels, down to the bottom.
  local g2 = asyncio.gather(asyncio.sleep(100))
  local bottom2 = g2
  for _ = 1, 50 do g2 = asyncio.gather(g2) end
  T.eq(g2:cancel(), true)
  T.raises("CancelledError", function() await(g2) end)
  -- (as Python's, a cancelled gather ends with a CancelledError exception)
  T.ok(bottom2:done())
  T.raises("CancelledError", function() bottom2:result() end)
  T.ok(not bottom:done())
  bottom:cancel()
  pcall(await, g)
end)

T.done()
