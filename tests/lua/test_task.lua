-- Tests for asyncio.Task (runtime/core/task.cpp) and create_task, current_task,
-- all_tasks, from Lua.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

-- Before any other loop ran in this process: the default names count from 1.
local first_names
do
  first_names = asyncio.run(async(function()
    local a = asyncio.create_task(async(function() end)())
    local b = asyncio.create_task(async(function() end)())
    await(a); await(b)
    return {asyncio.current_task():get_name(), a:get_name(), b:get_name()}
  end)(), {clock = "virtual"})
end

T.test("default names are Task-<n>, counting up from 1 per process", function()
  T.eq(first_names, {"Task-1", "Task-2", "Task-3"})
  -- and they keep counting across loops
  local me = asyncio.current_task():get_name()
  local n = tonumber(me:match("^Task%-(%d+)$"))
  T.ok(n and n > 3, me)
  local t = asyncio.create_task(async(function() end)())
  T.eq(t:get_name(), "Task-" .. (n + 1))
  await(t)
end)

T.test("a named task keeps its name; set_name renames", function()
  local t = asyncio.create_task(async(function() await(asyncio.sleep(1)) end)(), "worker-1")
  T.eq(t:get_name(), "worker-1")
  t:set_name("worker-2")
  T.eq(t:get_name(), "worker-2")
  t:set_name(17)
  T.eq(t:get_name(), "17", "set_name converts to a string")
  await(t)
  T.eq(t:get_name(), "17")
end)

T.test("create_task with a number as name: get_name gives it as a string", function()
  local t = asyncio.create_task(async(function() end)(), 42)
  T.eq(t:get_name(), "42")
  await(t)
end)

T.test("a named task does not use up a number", function()
  local a = asyncio.create_task(async(function() end)())
  local na = tonumber(a:get_name():match("%d+"))
  local named = asyncio.create_task(async(function() end)(), "x")
  local b = asyncio.create_task(async(function() end)())
  T.eq(b:get_name(), "Task-" .. (na + 2), "numbers are given to every task, as in Python")
  await(asyncio.gather(a, named, b))
end)

T.test("get_coro returns the coroutine object", function()
  local fetch = async(function() return 1 end)
  local c = fetch()
  local t = asyncio.create_task(c)
  T.ok(rawequal(t:get_coro(), c))
  T.ok(asyncio.iscoroutine(t:get_coro()))
  await(t)
  T.ok(rawequal(t:get_coro(), c), "still there once done")
end)

T.test("tostring of a pending task: name and coroutine with file:line", function()
  local fetch = async(function() await(asyncio.sleep(1)) return "body" end)
  local info = debug.getinfo(1, "S")
  local line = debug.getinfo(1, "l").currentline - 2
  local t = asyncio.create_task(fetch(), "worker-1")
  T.eq(tostring(t), string.format("<Task pending name='worker-1' coro=<fetch() at %s:%d>>",
    info.short_src, line))
  await(t)
  T.eq(tostring(t), string.format("<Task finished name='worker-1' coro=<fetch() at %s:%d> result=body>",
    info.short_src, line))
end)

T.test("tostring of a cancelled and of a failed task", function()
  local boom = async(function() await(asyncio.sleep(1)); error({}) end)
  local t = asyncio.create_task(async(function() await(asyncio.sleep(5)) end)(), "c")
  local f = asyncio.create_task(boom(), "f")
  await(asyncio.sleep(0))
  t:cancel()
  await(asyncio.sleep(2))
  T.ok(tostring(t):find("^<Task cancelled name='c' coro=<anonymous%(%) at "), tostring(t))
  T.ok(tostring(f):find("^<Task finished name='f' coro=<boom%(%) at .* exception=table: "), tostring(f))
  T.ok(f:exception() ~= nil)
end)

T.test("create_task schedules the body for the next iteration", function()
  local started = false
  local t = asyncio.create_task(async(function() started = true end)())
  T.eq(started, false, "nothing runs inside create_task")
  T.eq(t:done(), false)
  await(asyncio.sleep(0))
  T.eq(started, true)
  T.eq(t:done(), true)
end)

T.test("tasks start in creation order", function()
  local log = {}
  for i = 1, 5 do
    asyncio.create_task(async(function() log[#log + 1] = i end)())
  end
  await(asyncio.sleep(0))
  T.eq(log, {1, 2, 3, 4, 5})
end)

T.test("tasks run concurrently", function()
  local function sleeper(d) return asyncio.create_task(asyncio.sleep(d, d)) end
  local a, b, c = sleeper(3), sleeper(1), sleeper(2)
  T.eq({await(a), await(b), await(c)}, {3, 1, 2})
  T.eq(now(), 3.0)
end)

T.test("loop:create_task is create_task", function()
  local loop = asyncio.get_running_loop()
  local t = loop:create_task(async(function() return "via loop" end)(), "L")
  T.eq(t:get_name(), "L")
  T.eq(await(t), "via loop")
end)

T.test("create_task needs a fresh coroutine object", function()
  local f = async(function() end)
  T.raises("call the async function", asyncio.create_task, f)
  T.raises("coroutine object expected, got number", asyncio.create_task, 5)
  local c = f()
  await(c)
  T.raises("already awaited or scheduled", asyncio.create_task, c)
  local d = f()
  local t = asyncio.create_task(d)
  T.raises("already awaited or scheduled", asyncio.create_task, d)
  await(t)
end)

T.test("result(), exception() and done() of a task", function()
  local t = asyncio.create_task(asyncio.sleep(1, "r"))
  T.raises(asyncio.InvalidStateError, t.result, t)
  T.raises(asyncio.InvalidStateError, t.exception, t)
  await(asyncio.sleep(2))
  T.eq(t:done(), true)
  T.eq(t:result(), "r")
  T.eq(t:exception(), nil)
  local E = {}
  local bad = asyncio.create_task(async(function() error(E) end)())
  await(asyncio.sleep(0))
  T.ok(rawequal(bad:exception(), E))
  local ok, err = pcall(bad.result, bad)
  T.ok(not ok and rawequal(err, E))
end)

T.test("a task has no set_result / set_exception", function()
  local t = asyncio.create_task(async(function() end)())
  T.raises("Task does not support", t.set_result, t, 1)
  T.raises("Task does not support", t.set_exception, t, "x")
  await(t)
  T.eq(t:result(), nil)
end)

T.test("done callbacks of a task get the task", function()
  local t = asyncio.create_task(asyncio.sleep(1, "v"))
  local got
  t:add_done_callback(function(x) got = x end)
  T.eq(got, nil)
  await(t) -- the callback was registered before this task's wake-up: it ran first
  T.ok(rawequal(got, t))
end)

T.test("current_task is the running task, in each task", function()
  local main = asyncio.current_task()
  T.ok(asyncio.isfuture(main))
  T.eq(main:done(), false)
  local inner
  local t = asyncio.create_task(async(function() inner = asyncio.current_task() end)())
  await(t)
  T.ok(rawequal(inner, t))
  T.ok(rawequal(asyncio.current_task(), main))
end)

T.test("current_task inside a loop callback is nil", function()
  local f = asyncio.Future()
  asyncio.get_running_loop():call_soon(function()
    f:set_result(asyncio.current_task() == nil, select("#", asyncio.current_task()))
  end)
  local is_nil = await(f)
  T.eq(is_nil, true)
end)

T.test("all_tasks: the set of tasks not done, the current one included", function()
  local main = asyncio.current_task()
  local a = asyncio.create_task(asyncio.sleep(1))
  local b = asyncio.create_task(asyncio.sleep(2))
  local all = asyncio.all_tasks()
  local n = 0
  for t, v in pairs(all) do
    n = n + 1
    T.eq(v, true)
  end
  T.eq(n, 3)
  T.ok(all[main] and all[a] and all[b])
  await(a)
  all = asyncio.all_tasks()
  T.ok(all[a] == nil, "a done task is not listed")
  T.ok(all[b] and all[main])
  await(b)
end)

T.test("a task can be awaited by several others", function()
  local shared = asyncio.create_task(asyncio.sleep(2, 10))
  local function waiter() return asyncio.create_task(async(function() return await(shared) + 1 end)()) end
  local w1, w2 = waiter(), waiter()
  T.eq({await(w1), await(w2)}, {11, 11})
  T.eq(now(), 2.0)
end)

T.test("a task awaiting itself gets the error at its own await, where its pcall catches it", function()
  local self_task
  self_task = asyncio.create_task(async(function()
    await(asyncio.sleep(0))
    local ok, err = pcall(await, self_task)
    -- The task goes on after the failed await, and can still await.
    await(asyncio.sleep(1))
    return ok, err
  end)(), "selfish")
  local ok, err = await(self_task)
  T.eq(ok, false)
  T.ok(tostring(err):find("a task cannot await itself (task 'selfish')", 1, true), tostring(err))
  T.eq(now(), 1.0)
  T.eq(self_task:cancelled(), false)
end)

T.test("a task awaiting itself without a pcall fails with that error and its traceback", function()
  local self_task
  self_task = asyncio.create_task(async(function()
    await(self_task)
    return "unreachable"
  end)())
  local ok, err = pcall(await, self_task)
  T.eq(ok, false)
  T.ok(tostring(err):find("cannot await itself", 1, true), tostring(err))
  T.eq(self_task:cancelled(), false)
  T.ok(self_task:done())
end)

T.test("a task awaiting itself and cancelled before its next step gets the CancelledError instead", function()
  local self_task
  self_task = asyncio.create_task(async(function()
    local ok, err = pcall(await, self_task)
    return ok, err
  end)())
  await(asyncio.sleep(0))  -- it has awaited itself; its next step is scheduled
  T.eq(self_task:cancel(), true)
  -- The cancellation replaces the pending error, as in Python: the task's
  -- pcall catches a CancelledError, and the task returns.
  local ok, err = await(self_task)
  T.eq(ok, false)
  T.ok(asyncio.CancelledError:is(err), tostring(err))
end)

T.test("a raw coroutine.yield in a task body fails the task, not the process", function()
  local t = asyncio.create_task(async(function()
    coroutine.yield("something")
    return "unreachable"
  end)())
  local ok, err = pcall(await, t)
  T.eq(ok, false)
  T.ok(tostring(err):find("coroutine.yield", 1, true), tostring(err))
  -- The loop goes on.
  T.eq(await(asyncio.sleep(1, "alive")), "alive")
end)

T.test("to-be-closed variables of a task body close when it fails", function()
  local closed_with
  local t = asyncio.create_task(async(function()
    local r <close> = setmetatable({}, {__close = function(_, e)
      await(asyncio.sleep(1)) -- __close may await
      closed_with = e
    end})
    await(asyncio.sleep(1))
    error("failed", 0)
  end)())
  local ok, err = pcall(await, t)
  T.eq({ok, err}, {false, "failed"})
  T.eq(closed_with, "failed")
  T.eq(now(), 2.0)
end)

T.test("plain Lua coroutines inside a task work as generators", function()
  local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  local sum = 0
  for _ = 1, 3 do
    await(asyncio.sleep(1))
    sum = sum + gen()
  end
  T.eq(sum, 6)
  T.eq(now(), 3.0)
end)

T.test("finished tasks nobody references are garbage-collected", function()
  local weak = setmetatable({}, {__mode = "k"})
  local function spawn(body) weak[asyncio.create_task(async(body)())] = true end
  spawn(function() return "result" end)
  spawn(function() await(asyncio.sleep(1)) end)
  spawn(function() await(asyncio.Future()) end)
  await(asyncio.sleep(2))
  -- (Helpers, so that no register of this function keeps a task alive.)
  local function cancel_pending()
    for t in pairs(weak) do
      if not t:done() then t:cancel() end
    end
  end
  local function alive()
    local out = {}
    for t in pairs(weak) do out[#out + 1] = tostring(t) end
    return out
  end
  cancel_pending()
  await(asyncio.sleep(0))
  collectgarbage()
  collectgarbage()
  T.eq(alive(), {}, "no task left alive")
end)

T.test("ensure_future: futures as they are, coroutines and awaitables as tasks", function()
  local f = asyncio.Future()
  T.ok(rawequal(asyncio.ensure_future(f), f), "a future is returned as it is")
  local t = asyncio.create_task(asyncio.sleep(1, "slept"))
  T.ok(rawequal(asyncio.ensure_future(t), t), "a task is returned as it is")
  local c = asyncio.ensure_future(asyncio.sleep(2, "coro"))
  T.ok(getmetatable(c) == getmetatable(t), "a coroutine object becomes a Task")
  local aw = setmetatable({}, {__await = function() return asyncio.sleep(3, "custom") end})
  local w = asyncio.ensure_future(aw)
  T.ok(asyncio.isfuture(w))
  T.eq(await(c), "coro")
  T.eq(await(w), "custom")
  T.eq(await(t), "slept")
  T.raises("bad argument #1 to 'ensure_future' %(awaitable expected, got number%)", asyncio.ensure_future, 5)
end)

T.done()
