-- Tests for asyncio.wait_for (runtime/core/lua/timeouts.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local delayed = async(function(d, ...)
  await(asyncio.sleep(d))
  return ...
end)

T.test("wait_for is a coroutine function", function()
  T.ok(asyncio.iscoroutinefunction(asyncio.wait_for))
  local c = asyncio.wait_for(delayed(0, 1), 1)
  T.ok(asyncio.iscoroutine(c))
  T.eq(await(c), 1)
end)

T.test("completes before the timeout: all results, at the completion time", function()
  local a, b = await(asyncio.wait_for(delayed(1, "x", "y"), 5))
  T.eq(a, "x")
  T.eq(b, "y")
  T.eq(now(), 1.0)
end)

T.test("timeout: TimeoutError at the deadline, task cancelled", function()
  local t = asyncio.create_task(delayed(10, "never"))
  local err = T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(t, 2)) end)
  T.eq(tostring(err), "TimeoutError")
  T.eq(now(), 2.0)
  T.ok(t:cancelled(), "the awaited task was cancelled")
end)

T.test("timeout on a coroutine object: it sees CancelledError and can clean up", function()
  local log = {}
  local body = async(function()
    local ok, err = pcall(await, asyncio.sleep(10))
    log[#log + 1] = asyncio.CancelledError:is(err) and "cancelled" or "other"
    await(asyncio.sleep(1)) -- cleanup that itself takes time
    log[#log + 1] = "cleaned"
    error(err, 0) -- re-raise
  end)
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(body(), 3)) end)
  T.eq(log, {"cancelled", "cleaned"})
  T.eq(now(), 4.0, "wait_for waits for the cleanup")
end)

T.test("timeout nil waits without a limit", function()
  T.eq(await(asyncio.wait_for(delayed(3600, "hour"), nil)), "hour")
  T.eq(now(), 3600.0)
end)

T.test("timeout 0 on a done future returns its result", function()
  local f = asyncio.Future()
  f:set_result("ready", 2)
  local ran = false
  asyncio.get_running_loop():call_soon(function() ran = true end)
  local a, b = await(asyncio.wait_for(f, 0))
  T.eq(a, "ready")
  T.eq(b, 2)
  T.eq(ran, false, "returned without yielding to the loop")
end)

T.test("timeout 0 on a done future with an error raises it", function()
  local f = asyncio.Future()
  f:set_exception("failed")
  T.raises("failed", function() await(asyncio.wait_for(f, 0)) end)
end)

T.test("timeout 0 never starts a bare coroutine", function()
  local started = false
  local body = async(function()
    started = true
    return 1
  end)
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(body(), 0)) end)
  await(asyncio.sleep(1))
  T.ok(not started, "the body never ran")
  T.eq(now(), 1.0)
end)

T.test("negative timeout cancels a running task at once", function()
  local saw_cancel = false
  local t = asyncio.create_task(async(function()
    local ok, err = pcall(await, asyncio.sleep(10))
    saw_cancel = asyncio.CancelledError:is(err)
    error(err, 0)
  end)())
  await(asyncio.sleep(1))
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(t, -5)) end)
  T.eq(now(), 1.0, "no time passes")
  T.ok(t:cancelled())
  T.ok(saw_cancel)
end)

T.test("timeout 0 on a task that suppresses the cancellation returns its result", function()
  local t = asyncio.create_task(async(function()
    local ok = pcall(await, asyncio.sleep(10))
    return ok and "slept" or "suppressed"
  end)())
  await(asyncio.sleep(0))
  T.eq(await(asyncio.wait_for(t, 0)), "suppressed")
end)

T.test("the inner error propagates unchanged", function()
  local E = asyncio.Error:extend("Inner")
  local e = E("x")
  local err = T.raises(E, function()
    await(asyncio.wait_for(async(function()
      await(asyncio.sleep(1))
      error(e, 0)
    end)(), 5))
  end)
  T.ok(rawequal(err, e))
  T.eq(now(), 1.0)
end)

T.test("cancelling the caller raises CancelledError, not TimeoutError", function()
  local inner = asyncio.create_task(delayed(10, 1))
  local caller = asyncio.create_task(async(function()
    return await(asyncio.wait_for(inner, 5))
  end)())
  await(asyncio.sleep(1))
  caller:cancel("outer")
  local err = T.raises(asyncio.CancelledError, function() await(caller) end)
  T.eq(err.message, "outer")
  T.ok(caller:cancelled())
  T.ok(inner:cancelled(), "the awaited task is cancelled too")
  T.eq(now(), 1.0)
end)

T.test("the caller's cancel count is restored after a timeout", function()
  local task = asyncio.current_task()
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(delayed(5), 1)) end)
  T.eq(task:cancelling(), 0)
  -- The task is not left with a pending cancellation: it can wait again.
  await(asyncio.sleep(1))
  T.eq(now(), 2.0)
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'wait_for' %(awaitable expected, got nil%)", function()
    await(asyncio.wait_for(nil, 1))
  end)
  local f = asyncio.Future()
  f:set_result(1)
  T.raises("bad argument #2 to 'wait_for' %(number or nil expected, got string%)", function()
    await(asyncio.wait_for(f, "1"))
  end)
end)

T.done()
