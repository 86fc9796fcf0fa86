-- Tests for asyncio.wait (runtime/core/lua/wait.lua), on the virtual clock.
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

local function count(set)
  local n = 0
  for _ in pairs(set) do n = n + 1 end
  return n
end

local function spawn(coro) return asyncio.create_task(coro) end

T.test("constants", function()
  T.eq(asyncio.FIRST_COMPLETED, "FIRST_COMPLETED")
  T.eq(asyncio.FIRST_EXCEPTION, "FIRST_EXCEPTION")
  T.eq(asyncio.ALL_COMPLETED, "ALL_COMPLETED")
  T.ok(asyncio.iscoroutinefunction(asyncio.wait))
end)

T.test("ALL_COMPLETED (the default) waits for every future", function()
  local t1, t2, t3 = spawn(delayed(1, 1)), spawn(delayed(3, 3)), spawn(delayed(2, 2))
  local done, pending = await(asyncio.wait({t1, t2, t3}))
  T.eq(now(), 3.0)
  T.eq(count(done), 3)
  T.eq(count(pending), 0)
  T.ok(done[t1] and done[t2] and done[t3])
end)

T.test("FIRST_COMPLETED returns when the first one finishes", function()
  local t1, t2, t3 = spawn(delayed(2, 1)), spawn(delayed(1, 2)), spawn(delayed(3, 3))
  local done, pending = await(asyncio.wait({t1, t2, t3}, {return_when = asyncio.FIRST_COMPLETED}))
  T.eq(now(), 1.0)
  T.eq(count(done), 1)
  T.ok(done[t2])
  T.eq(count(pending), 2)
  T.ok(pending[t1] and pending[t3])
  T.ok(not t1:cancelled() and not t3:cancelled(), "nothing is cancelled")
end)

T.test("FIRST_EXCEPTION returns at the first error", function()
  local t1, t2, t3 = spawn(delayed(1, 1)), spawn(failing(2, "bad")), spawn(delayed(5, 3))
  local done, pending = await(asyncio.wait({t1, t2, t3}, {return_when = "FIRST_EXCEPTION"}))
  T.eq(now(), 2.0)
  T.ok(done[t1] and done[t2])
  T.ok(pending[t3])
  T.eq(t2:exception(), "bad")
end)

T.test("FIRST_EXCEPTION without errors waits for all", function()
  local t1, t2 = spawn(delayed(1, 1)), spawn(delayed(2, 2))
  local done, pending = await(asyncio.wait({t1, t2}, {return_when = asyncio.FIRST_EXCEPTION}))
  T.eq(now(), 2.0)
  T.eq(count(done), 2)
  T.eq(count(pending), 0)
end)

T.test("FIRST_EXCEPTION: a cancelled future is not an error", function()
  local t1, t2 = spawn(delayed(5, 1)), spawn(delayed(2, 2))
  asyncio.get_running_loop():call_later(1, function() t1:cancel() end)
  local done, pending = await(asyncio.wait({t1, t2}, {return_when = asyncio.FIRST_EXCEPTION}))
  T.eq(now(), 2.0)
  T.ok(done[t1] and done[t2])
  T.ok(t1:cancelled())
end)

T.test("timeout returns what is done; nothing raised or cancelled", function()
  local t1, t2 = spawn(delayed(1, 1)), spawn(delayed(10, 2))
  local done, pending = await(asyncio.wait({t1, t2}, {timeout = 4}))
  T.eq(now(), 4.0)
  T.ok(done[t1])
  T.ok(pending[t2])
  T.ok(not t2:done(), "the pending task keeps running")
  T.eq(await(t2), 2)
  T.eq(now(), 10.0)
end)

T.test("timeout is not waited for when everything finishes first", function()
  local t1 = spawn(delayed(1, 1))
  local done = await(asyncio.wait({t1}, {timeout = 100}))
  T.eq(now(), 1.0)
  T.ok(done[t1])
  await(asyncio.sleep(0))
  T.eq(now(), 1.0)
end)

T.test("errors stay in the futures", function()
  local t1 = spawn(failing(1, "err1"))
  local done = await(asyncio.wait({t1}))
  T.ok(done[t1])
  T.eq(t1:exception(), "err1")
end)

T.test("coroutine objects are wrapped in tasks", function()
  local done, pending = await(asyncio.wait({delayed(1, "a"), delayed(2, "b")}))
  T.eq(count(done), 2)
  T.eq(count(pending), 0)
  local results = {}
  for f in pairs(done) do
    T.ok(asyncio.isfuture(f), "a task in the done set")
    results[#results + 1] = f:result()
  end
  table.sort(results)
  T.eq(results, {"a", "b"})
end)

T.test("futures already done", function()
  local f = asyncio.Future()
  f:set_result(1)
  local t = spawn(delayed(1, 2))
  local done, pending = await(asyncio.wait({f, t}, {return_when = asyncio.FIRST_COMPLETED}))
  T.eq(now(), 0.0)
  T.ok(done[f])
  T.ok(pending[t])
end)

T.test("duplicates are counted once", function()
  local t = spawn(delayed(1, 1))
  local done, pending = await(asyncio.wait({t, t, t}))
  T.eq(count(done), 1)
  T.eq(count(pending), 0)
end)

T.test("cancelling the waiting task does not cancel the futures", function()
  local t1 = spawn(delayed(5, 1))
  local waiter = spawn(async(function() return await(asyncio.wait({t1})) end)())
  await(asyncio.sleep(1))
  waiter:cancel()
  T.raises(asyncio.CancelledError, function() await(waiter) end)
  T.ok(not t1:done())
  T.eq(await(t1), 1)
end)

-- Issue 14, item 9: the sets wait() returns go back into wait() as they are.
T.test("wait accepts the pending set that wait returned", function()
  local t1, t2, t3 = spawn(delayed(1, "a")), spawn(delayed(2, "b")), spawn(delayed(3, "c"))
  local done, pending = await(asyncio.wait({t1, t2, t3}, {return_when = asyncio.FIRST_COMPLETED}))
  T.eq(done, {[t1] = true})
  T.eq(pending, {[t2] = true, [t3] = true})
  done, pending = await(asyncio.wait(pending, {return_when = asyncio.FIRST_COMPLETED}))
  T.eq(done, {[t2] = true})
  T.eq(pending, {[t3] = true})
  done, pending = await(asyncio.wait(pending))
  T.eq(done, {[t3] = true})
  T.eq(pending, {})
  T.eq(asyncio.get_running_loop():time(), 3)
end)

T.test("wait and as_completed accept any set of awaitables", function()
  local set = {[spawn(delayed(2, "x"))] = true, [spawn(delayed(1, "y"))] = true}
  local got = {}
  for aw in asyncio.as_completed(set) do got[#got + 1] = await(aw) end
  T.eq(got, {"y", "x"})
  local f = asyncio.Future()
  f:set_result(1)
  local done, pending = await(asyncio.wait({[f] = true}))
  T.eq(done, {[f] = true})
  T.eq(pending, {})
  T.raises("bad argument #1 to 'wait' %(array or set of awaitables expected, got a table with key string = number%)",
    function() await(asyncio.wait({x = 1})) end)
  T.raises("bad argument #1 to 'wait' %(array or set of awaitables expected, got a table with key table = boolean%)",
    function() await(asyncio.wait({[f] = true, [{}] = true})) end)
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'wait' %(no awaitables: the array or set is empty%)", function()
    await(asyncio.wait({}))
  end)
  local f = asyncio.Future()
  f:set_result(1)
  T.raises("bad argument #1 to 'wait' %(array or set of awaitables expected, got future%)", function()
    await(asyncio.wait(f))
  end)
  T.raises("bad argument #1 to 'wait' %(element 2: awaitable expected, got number%)", function()
    await(asyncio.wait({f, 5}))
  end)
  T.raises("bad argument #2 to 'wait' %(invalid return_when value: SOMETIMES%)", function()
    await(asyncio.wait({f}, {return_when = "SOMETIMES"}))
  end)
  T.raises("bad argument #2 to 'wait' %(field 'timeout': number expected, got string%)", function()
    await(asyncio.wait({f}, {timeout = "1"}))
  end)
end)

T.done()
