-- Tests for asyncio.TaskGroup (runtime/core/lua/taskgroup.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local delayed = async(function(d, v)
  await(asyncio.sleep(d))
  return v
end)

local failing = async(function(d, err)
  await(asyncio.sleep(d))
  error(err, 0)
end)

T.test("the end of the block waits for every child", function()
  local t1, t2
  do
    local tg <close> = asyncio.TaskGroup()
    t1 = tg:create_task(delayed(1, "one"))
    t2 = tg:create_task(delayed(3, "three"), "named")
    T.eq(t2:get_name(), "named")
    T.eq(now(), 0.0)
  end
  T.eq(now(), 3.0)
  T.eq(t1:result(), "one")
  T.eq(t2:result(), "three")
end)

T.test("an empty group ends at once", function()
  do
    local _ <close> = asyncio.TaskGroup()
  end
  T.eq(now(), 0.0)
end)

T.test("one failing child cancels the others and the block", function()
  local reached_after_await = false
  local cancelled_children = 0
  local victim = async(function()
    local ok, err = pcall(await, asyncio.sleep(10))
    if not ok and asyncio.CancelledError:is(err) then cancelled_children = cancelled_children + 1 end
    error(err, 0)
  end)
  local E = asyncio.Error:extend("ChildError")
  local boom = E("boom")
  local t1, t2
  local err = T.raises(asyncio.ExceptionGroup, function()
    local tg <close> = asyncio.TaskGroup()
    t1 = tg:create_task(victim())
    t2 = tg:create_task(victim())
    tg:create_task(failing(2, boom))
    await(asyncio.sleep(100))
    reached_after_await = true
  end)
  T.eq(now(), 2.0, "everything stops when the child fails")
  T.ok(not reached_after_await, "the block was cancelled at its await")
  T.eq(#err.exceptions, 1)
  T.ok(rawequal(err.exceptions[1], boom), "the child's error object")
  T.eq(cancelled_children, 2)
  T.ok(t1:cancelled() and t2:cancelled())
  local me = asyncio.current_task()
  T.eq(me:cancelling(), 0, "the group took its cancel request back")
  await(asyncio.sleep(1)) -- the parent task is not left cancelled
  T.eq(now(), 3.0)
end)

T.test("the group waits for the children's cleanup after a failure", function()
  local slow_cleanup = async(function()
    local ok, err = pcall(await, asyncio.sleep(10))
    await(asyncio.sleep(1.5)) -- cleanup that takes time
    error(err, 0)
  end)
  T.raises(asyncio.ExceptionGroup, function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(slow_cleanup())
    tg:create_task(failing(1, "x"))
  end)
  T.eq(now(), 2.5)
end)

T.test("all failures are collected", function()
  local err = T.raises(asyncio.ExceptionGroup, function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(failing(1, "first"))
    tg:create_task(failing(1, "second"))
    tg:create_task(delayed(5, "cancelled"))
  end)
  T.eq(err.exceptions, {"first", "second"})
  T.eq(now(), 1.0)
  T.ok(string.find(tostring(err), "unhandled errors in a TaskGroup", 1, true))
end)

T.test("an error in the block cancels the children and joins the group", function()
  local child
  local err = T.raises(asyncio.ExceptionGroup, function()
    local tg <close> = asyncio.TaskGroup()
    child = tg:create_task(delayed(10, 1))
    await(asyncio.sleep(1))
    error("block failed", 0)
  end)
  T.eq(err.exceptions, {"block failed"})
  T.ok(child:cancelled())
  T.eq(now(), 1.0)
end)

T.test("an error in the block of an empty group is wrapped too", function()
  local err = T.raises(asyncio.ExceptionGroup, function()
    local _ <close> = asyncio.TaskGroup()
    error("alone", 0)
  end)
  T.eq(err.exceptions, {"alone"})
end)

T.test("a child ending cancelled is not a failure", function()
  local t1, t2
  do
    local tg <close> = asyncio.TaskGroup()
    t1 = tg:create_task(delayed(5, 1))
    t2 = tg:create_task(delayed(2, 2))
    await(asyncio.sleep(1))
    t1:cancel()
  end
  T.ok(t1:cancelled())
  T.eq(t2:result(), 2)
  T.eq(now(), 2.0)
end)

T.test("a child catching CancelledError and re-raising is not a failure", function()
  local log = {}
  do
    local tg <close> = asyncio.TaskGroup()
    local t = tg:create_task(async(function()
      local ok, err = pcall(await, asyncio.sleep(5))
      log[#log + 1] = "caught"
      error(err, 0)
    end)())
    await(asyncio.sleep(1))
    t:cancel()
  end
  T.eq(log, {"caught"})
  T.eq(now(), 1.0)
end)

T.test("cancelling the parent from outside cancels the children", function()
  local child
  local parent = asyncio.create_task(async(function()
    local tg <close> = asyncio.TaskGroup()
    child = tg:create_task(delayed(10, 1))
    await(asyncio.sleep(10))
  end)())
  await(asyncio.sleep(1))
  parent:cancel("stop")
  local err = T.raises(asyncio.CancelledError, function() await(parent) end)
  T.eq(err.message, "stop")
  T.ok(parent:cancelled())
  T.ok(child:cancelled())
  T.eq(now(), 1.0)
end)

T.test("cancelling the parent while it waits at the end of the block", function()
  local child
  local parent = asyncio.create_task(async(function()
    local tg <close> = asyncio.TaskGroup()
    child = tg:create_task(delayed(10, 1))
  end)())
  await(asyncio.sleep(2))
  T.ok(not parent:done())
  parent:cancel()
  T.raises(asyncio.CancelledError, function() await(parent) end)
  T.ok(child:cancelled())
  T.eq(now(), 2.0)
end)

T.test("an outside cancel during the group's shutdown: the error group wins, the cancel stays pending", function()
  local parent_task
  local caught, after
  local slow_cleanup = async(function()
    local ok, err = pcall(await, asyncio.sleep(10))
    await(asyncio.sleep(2)) -- still cleaning up when the outside cancel comes
    error(err, 0)
  end)
  parent_task = asyncio.create_task(async(function()
    local ok, err = pcall(function()
      local tg <close> = asyncio.TaskGroup()
      tg:create_task(slow_cleanup())
      tg:create_task(failing(1, "child failed"))
      await(asyncio.sleep(10))
    end)
    caught = err
    after = asyncio.current_task():cancelling()
    await(asyncio.sleep(5)) -- the outside cancel is still pending: raises here
    return "not reached"
  end)())
  asyncio.get_running_loop():call_at(2, function() parent_task:cancel() end)
  T.raises(asyncio.CancelledError, function() await(parent_task) end)
  T.ok(asyncio.ExceptionGroup:is(caught), "ExceptionGroup, not CancelledError")
  T.eq(caught.exceptions, {"child failed"})
  T.eq(after, 1, "one cancel request (the outside one) remains")
  T.eq(now(), 3.0)
end)

T.test("create_task after the group ended raises", function()
  local group
  do
    local tg <close> = asyncio.TaskGroup()
    group = tg
    tg:create_task(delayed(1, 1))
  end
  local c = delayed(1, 1)
  T.raises("is finished", group.create_task, group, c)
  await(c) -- consume it, so it is not reported as never awaited
end)

T.test("create_task while the group is shutting down raises", function()
  local err_msg
  T.raises(asyncio.ExceptionGroup, function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(failing(1, "x"))
    local ok = pcall(await, asyncio.sleep(5))
    local c = delayed(1, 1)
    local ok2, e = pcall(tg.create_task, tg, c)
    err_msg = tostring(e)
    await(c)
  end)
  T.ok(string.find(err_msg, "is shutting down", 1, true), err_msg)
end)

T.test("children can add children", function()
  local order = {}
  do
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(async(function()
      await(asyncio.sleep(1))
      order[#order + 1] = "parent child"
      tg:create_task(async(function()
        await(asyncio.sleep(2))
        order[#order + 1] = "grandchild"
      end)())
    end)())
  end
  T.eq(order, {"parent child", "grandchild"})
  T.eq(now(), 3.0)
end)

T.test("nested groups: the inner group's error reaches the outer one", function()
  local err = T.raises(asyncio.ExceptionGroup, function()
    local outer <close> = asyncio.TaskGroup()
    outer:create_task(delayed(10, "cancelled"))
    outer:create_task(async(function()
      local inner <close> = asyncio.TaskGroup()
      inner:create_task(failing(1, "deep"))
    end)())
  end)
  T.eq(#err.exceptions, 1)
  local inner_group = err.exceptions[1]
  T.ok(asyncio.ExceptionGroup:is(inner_group))
  T.eq(inner_group.exceptions, {"deep"})
  T.eq(now(), 1.0)
end)

T.test("a TaskGroup inside a timeout: the timeout wins over the children", function()
  local child
  T.raises(asyncio.TimeoutError, function()
    local _ <close> = asyncio.timeout(2)
    local tg <close> = asyncio.TaskGroup()
    child = tg:create_task(delayed(10, 1))
  end)
  T.ok(child:cancelled())
  T.eq(now(), 2.0)
end)

T.test("bad argument names the argument", function()
  local tg <close> = asyncio.TaskGroup()
  T.raises("bad argument #1 to 'create_task' %(coroutine expected, got nil%)",
    tg.create_task, tg, nil)
  T.ok(string.find(tostring(tg), "TaskGroup", 1, true))
end)

T.done()
