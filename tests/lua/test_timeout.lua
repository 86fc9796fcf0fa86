-- Tests for asyncio.timeout / asyncio.timeout_at (runtime/core/lua/timeouts.lua),
-- on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

T.test("a block that finishes in time is left alone", function()
  local cm
  do
    local scope <close> = asyncio.timeout(5)
    cm = scope
    T.eq(scope:when(), 5.0)
    await(asyncio.sleep(1))
  end
  T.eq(now(), 1.0)
  T.ok(not cm:expired())
  -- The disarmed timer must not fire later.
  await(asyncio.sleep(10))
  T.eq(now(), 11.0)
end)

T.test("the deadline cancels the block and raises TimeoutError at its end", function()
  local reached, cm = false, nil
  local err = T.raises(asyncio.TimeoutError, function()
    local scope <close> = asyncio.timeout(2)
    cm = scope
    await(asyncio.sleep(10))
    reached = true
  end)
  T.eq(tostring(err), "TimeoutError")
  T.ok(asyncio.CancelledError:is(err.cause), "the CancelledError is kept as cause")
  T.eq(now(), 2.0)
  T.ok(not reached)
  T.ok(cm:expired())
  T.eq(asyncio.current_task():cancelling(), 0, "the cancel request was taken back")
end)

T.test("code after the block runs normally after a caught timeout", function()
  local ok = pcall(function()
    local _ <close> = asyncio.timeout(1)
    await(asyncio.sleep(5))
  end)
  T.ok(not ok)
  await(asyncio.sleep(1))
  T.eq(now(), 2.0)
end)

T.test("a nil delay means no deadline", function()
  local scope <close> = asyncio.timeout(nil)
  T.eq(scope:when(), nil)
  await(asyncio.sleep(100))
  T.eq(now(), 100.0)
  T.ok(not scope:expired())
end)

T.test("timeout_at takes an absolute deadline", function()
  await(asyncio.sleep(3))
  T.raises(asyncio.TimeoutError, function()
    local scope <close> = asyncio.timeout_at(4.5)
    T.eq(scope:when(), 4.5)
    await(asyncio.sleep(10))
  end)
  T.eq(now(), 4.5)
end)

T.test("a deadline already passed fires on the next iteration", function()
  await(asyncio.sleep(2))
  T.raises(asyncio.TimeoutError, function()
    local _ <close> = asyncio.timeout_at(1)
    await(asyncio.sleep(1))
  end)
  T.eq(now(), 2.0)
end)

T.test("reschedule moves the deadline later, earlier, or removes it", function()
  T.raises(asyncio.TimeoutError, function()
    local scope <close> = asyncio.timeout(1)
    scope:reschedule(now() + 3)
    T.eq(scope:when(), 3.0)
    await(asyncio.sleep(10))
  end)
  T.eq(now(), 3.0)
  T.raises(asyncio.TimeoutError, function()
    local scope <close> = asyncio.timeout(10)
    scope:reschedule(now() + 0.5)
    await(asyncio.sleep(10))
  end)
  T.eq(now(), 3.5)
  do
    local scope <close> = asyncio.timeout(1)
    scope:reschedule(nil)
    await(asyncio.sleep(5))
    T.ok(not scope:expired())
  end
  T.eq(now(), 8.5)
end)

T.test("reschedule after the block ended raises", function()
  local cm
  do
    local scope <close> = asyncio.timeout(1)
    cm = scope
  end
  T.raises("Cannot change state of finished Timeout", function() cm:reschedule(5) end)
end)

T.test("nested timeouts: the inner one fires first", function()
  local inner_scope, outer_scope
  local outer_ok = pcall(function()
    local outer <close> = asyncio.timeout(10)
    outer_scope = outer
    T.raises(asyncio.TimeoutError, function()
      local inner <close> = asyncio.timeout(1)
      inner_scope = inner
      await(asyncio.sleep(5))
    end)
    T.eq(now(), 1.0)
    await(asyncio.sleep(2))
  end)
  T.ok(outer_ok, "the outer block completes")
  T.eq(now(), 3.0)
  T.ok(inner_scope:expired())
  T.ok(not outer_scope:expired())
end)

T.test("nested timeouts: the outer one fires inside the inner block", function()
  local inner_scope, outer_scope
  local inner_error
  T.raises(asyncio.TimeoutError, function()
    local outer <close> = asyncio.timeout(1)
    outer_scope = outer
    local ok, err = pcall(function()
      local inner <close> = asyncio.timeout(10)
      inner_scope = inner
      await(asyncio.sleep(5))
    end)
    inner_error = err
    error(err, 0)
  end)
  T.ok(asyncio.CancelledError:is(inner_error), "the inner block passes the CancelledError on")
  T.ok(not inner_scope:expired())
  T.ok(outer_scope:expired())
  T.eq(now(), 1.0)
end)

T.test("nested timeouts expiring at the same instant: only the outer raises", function()
  local inner_error, inner_scope
  T.raises(asyncio.TimeoutError, function()
    local _ <close> = asyncio.timeout(1)
    local ok, err = pcall(function()
      local inner <close> = asyncio.timeout(1)
      inner_scope = inner
      await(asyncio.sleep(5))
    end)
    inner_error = err
    error(err, 0)
  end)
  T.ok(inner_scope:expired())
  T.ok(asyncio.CancelledError:is(inner_error),
    "the inner scope sees another pending cancel and does not convert it")
  T.eq(asyncio.current_task():cancelling(), 0)
end)

T.test("a cancel from outside is not turned into TimeoutError", function()
  local me = asyncio.current_task()
  asyncio.get_running_loop():call_later(1, function() me:cancel("external") end)
  local err = T.raises(asyncio.CancelledError, function()
    local _ <close> = asyncio.timeout(5)
    await(asyncio.sleep(10))
  end)
  T.eq(err.message, "external")
  T.eq(now(), 1.0)
  T.eq(me:uncancel(), 0)
end)

T.test("an outside cancel at the same instant as the deadline stays a CancelledError", function()
  local me = asyncio.current_task()
  asyncio.get_running_loop():call_at(2, function() me:cancel("external") end)
  local cm
  T.raises(asyncio.CancelledError, function()
    local scope <close> = asyncio.timeout(2)
    cm = scope
    await(asyncio.sleep(10))
  end)
  T.ok(cm:expired())
  T.eq(now(), 2.0)
  T.eq(me:uncancel(), 0, "one cancel request (the external one) was left")
end)

T.test("a body that swallows the cancellation ends without TimeoutError", function()
  local cm
  local res = (function()
    local scope <close> = asyncio.timeout(1)
    cm = scope
    local ok = pcall(await, asyncio.sleep(5))
    return ok and "slept" or "swallowed"
  end)()
  T.eq(res, "swallowed")
  T.ok(cm:expired())
  T.eq(now(), 1.0)
  await(asyncio.sleep(1)) -- no stray cancellation left
  T.eq(now(), 2.0)
end)

T.test("a different error raised after the deadline propagates unchanged", function()
  T.raises("cleanup failed", function()
    local _ <close> = asyncio.timeout(1)
    pcall(await, asyncio.sleep(5))
    error("cleanup failed")
  end)
end)

T.test("completion racing the deadline: the cancellation wins", function()
  -- The future is resolved by a timer due at the same instant as the
  -- deadline and scheduled before it; the task has not resumed yet when the
  -- deadline fires, so (as in Python) the block ends with TimeoutError.
  local loop = asyncio.get_running_loop()
  local fut = asyncio.Future()
  loop:call_at(1, function() fut:set_result("value") end)
  T.raises(asyncio.TimeoutError, function()
    local _ <close> = asyncio.timeout(1)
    await(fut)
  end)
  T.eq(fut:result(), "value")
  T.eq(now(), 1.0)
  T.eq(asyncio.current_task():cancelling(), 0)
end)

T.test("completion just before the deadline wins", function()
  local loop = asyncio.get_running_loop()
  local fut = asyncio.Future()
  loop:call_at(0.999, function() fut:set_result("value") end)
  local res
  do
    local _ <close> = asyncio.timeout(1)
    res = await(fut)
  end
  T.eq(res, "value")
  await(asyncio.sleep(1))
  T.eq(now(), 1.999)
end)

T.test("timeout inside a spawned task cancels only that task", function()
  local t = asyncio.create_task(async(function()
    local _ <close> = asyncio.timeout(1)
    await(asyncio.sleep(5))
  end)())
  local err = T.raises(asyncio.TimeoutError, function() await(t) end)
  T.ok(not t:cancelled(), "the task failed with TimeoutError")
  T.ok(asyncio.TimeoutError:is(t:exception()))
  T.eq(now(), 1.0)
end)

T.test("timeout outside a task raises", function()
  local loop = asyncio.get_running_loop()
  local done = asyncio.Future()
  loop:call_soon(function()
    done:set_result(pcall(asyncio.timeout, 1))
  end)
  local ok, err = await(done)
  T.ok(not ok)
  T.ok(string.find(tostring(err), "inside a task", 1, true), tostring(err))
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'timeout' %(number or nil expected, got string%)",
    asyncio.timeout, "1")
  T.raises("bad argument #1 to 'timeout_at' %(number or nil expected, got table%)",
    asyncio.timeout_at, {})
  local scope <close> = asyncio.timeout(1)
  T.raises("bad argument #1 to 'reschedule'", scope.reschedule, scope, "x")
end)

T.test("tostring shows the state", function()
  local cm
  do
    local scope <close> = asyncio.timeout(2)
    cm = scope
    T.eq(tostring(scope), "<Timeout [active] when=2.000>")
  end
  T.eq(tostring(cm), "<Timeout [finished]>")
end)

T.done()
