-- Tests for asyncio.Condition (runtime/core/lua/locks.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

-- Starts `n` tasks that each wait on `cond` and log their name when woken.
local function waiters(cond, n, log)
  local tasks = {}
  for i = 1, n do
    tasks[i] = spawn(function()
      local _ <close> = await(cond:hold()) -- released also if wait() raises
      local r = await(cond:wait())
      log[#log + 1] = i
      T.ok(cond:locked(), "the lock is held again after wait")
      return r
    end)
  end
  return tasks
end

T.test("acquire, release, locked delegate to the lock", function()
  local cond = asyncio.Condition()
  T.eq(cond:locked(), false)
  T.eq(await(cond:acquire()), true)
  T.eq(cond:locked(), true)
  cond:release()
  T.eq(cond:locked(), false)
  T.raises("Lock is not acquired", cond.release, cond)
end)

T.test("a shared lock", function()
  local lock = asyncio.Lock()
  local cond = asyncio.Condition(lock)
  await(lock:acquire())
  T.eq(cond:locked(), true)
  cond:release()
  T.eq(lock:locked(), false)
end)

T.test("wait without the lock raises", function()
  local cond = asyncio.Condition()
  T.raises("cannot wait on un%-acquired lock", function() await(cond:wait()) end)
end)

T.test("notify without the lock raises", function()
  local cond = asyncio.Condition()
  T.raises("cannot notify on un%-acquired lock", cond.notify, cond)
  T.raises("cannot notify on un%-acquired lock", cond.notify_all, cond)
end)

T.test("notify wakes one waiter at a time, in FIFO order", function()
  local cond = asyncio.Condition()
  local log = {}
  local tasks = waiters(cond, 3, log)
  await(asyncio.sleep(1))
  T.eq(log, {})
  await(cond:acquire())
  cond:notify()
  cond:release()
  await(asyncio.sleep(0.5))
  T.eq(log, {1})
  await(cond:acquire())
  cond:notify(2)
  cond:release()
  await(asyncio.gather(table.unpack(tasks)))
  T.eq(log, {1, 2, 3})
  T.eq(now(), 1.5)
end)

T.test("notify_all wakes everyone; they take the lock in turn", function()
  local cond = asyncio.Condition()
  local log = {}
  local tasks = waiters(cond, 4, log)
  await(asyncio.sleep(0))
  await(cond:acquire())
  cond:notify_all()
  T.eq(log, {}, "nobody runs before the lock is released")
  cond:release()
  local res = await(asyncio.gather(table.unpack(tasks)))
  T.eq(log, {1, 2, 3, 4})
  T.eq(res, {true, true, true, true, n = 4})
end)

T.test("wait_for returns the predicate's first true value", function()
  local cond = asyncio.Condition()
  local value = 0
  local calls = 0
  local consumer = spawn(function()
    local _ <close> = await(cond:hold())
    return await(cond:wait_for(function()
      calls = calls + 1
      return value >= 3 and ("value=" .. value)
    end))
  end)
  for _ = 1, 3 do
    await(asyncio.sleep(1))
    local _ <close> = await(cond:hold())
    value = value + 1
    cond:notify()
  end
  T.eq(await(consumer), "value=3")
  T.eq(calls, 4, "checked once at the start and after each notify")
  T.eq(now(), 3.0)
end)

T.test("wait_for with a true predicate does not wait", function()
  local cond = asyncio.Condition()
  await(cond:acquire())
  T.eq(await(cond:wait_for(function() return 42 end)), 42)
  T.eq(now(), 0.0)
  cond:release()
end)

T.test("a cancelled wait re-acquires the lock before raising", function()
  local cond = asyncio.Condition()
  local held_when_cancelled
  local t = spawn(function()
    await(cond:acquire())
    local ok, err = pcall(await, cond:wait())
    held_when_cancelled = cond:locked()
    cond:release()
    error(err, 0)
  end)
  await(asyncio.sleep(0))
  await(cond:acquire()) -- the lock is busy when the cancel arrives
  t:cancel()
  await(asyncio.sleep(1))
  T.ok(not t:done(), "the waiter waits for the lock")
  cond:release()
  T.raises(asyncio.CancelledError, function() await(t) end)
  T.eq(held_when_cancelled, true)
  T.eq(cond:locked(), false)
end)

T.test("a notified waiter that is cancelled passes the notification on", function()
  local cond = asyncio.Condition()
  local log = {}
  local tasks = waiters(cond, 2, log)
  await(asyncio.sleep(0))
  await(cond:acquire())
  cond:notify(1) -- reaches waiter 1 ...
  tasks[1]:cancel() -- ... which is cancelled before it runs
  cond:release()
  await(asyncio.sleep(0))
  T.raises(asyncio.CancelledError, function() await(tasks[1]) end)
  await(tasks[2])
  T.eq(log, {2}, "waiter 2 got the notification")
end)

T.test("hold() on a condition", function()
  local cond = asyncio.Condition()
  do
    local _ <close> = await(cond:hold())
    T.eq(cond:locked(), true)
  end
  T.eq(cond:locked(), false)
end)

T.test("producer/consumer with a condition", function()
  local cond = asyncio.Condition()
  local items, got = {}, {}
  local consumer = spawn(function()
    for _ = 1, 3 do
      local _ <close> = await(cond:hold())
      await(cond:wait_for(function() return #items > 0 end))
      got[#got + 1] = table.remove(items, 1) .. "@" .. string.format("%g", now())
    end
  end)
  for i = 1, 3 do
    await(asyncio.sleep(1))
    local _ <close> = await(cond:hold())
    items[#items + 1] = "item" .. i
    cond:notify()
  end
  await(consumer)
  T.eq(got, {"item1@1", "item2@2", "item3@3"})
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'Condition' %(Lock expected, got number%)", asyncio.Condition, 5)
  local cond = asyncio.Condition()
  T.raises("bad argument #1 to 'wait_for' %(function expected, got nil%)", function()
    await(cond:wait_for(nil))
  end)
  await(cond:acquire())
  T.raises("bad argument #1 to 'notify' %(number expected, got string%)", cond.notify, cond, "x")
  cond:release()
  T.eq(tostring(cond), "<asyncio.Condition [unlocked]>")
end)

T.done()
