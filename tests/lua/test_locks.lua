-- Tests for asyncio.Lock (runtime/core/lua/locks.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

T.test("acquire and release", function()
  local lock = asyncio.Lock()
  T.eq(lock:locked(), false)
  local c = lock:acquire()
  T.ok(asyncio.iscoroutine(c), "acquire() makes a coroutine object")
  T.eq(await(c), true)
  T.eq(lock:locked(), true)
  lock:release()
  T.eq(lock:locked(), false)
end)

T.test("mutual exclusion: critical sections run one after another", function()
  local lock = asyncio.Lock()
  local inside, max_inside, log = 0, 0, {}
  local function worker(name)
    await(lock:acquire())
    inside = inside + 1
    max_inside = math.max(max_inside, inside)
    log[#log + 1] = name .. "@" .. string.format("%g", now())
    await(asyncio.sleep(1))
    inside = inside - 1
    lock:release()
  end
  await(asyncio.gather(spawn(worker, "a"), spawn(worker, "b"), spawn(worker, "c")))
  T.eq(max_inside, 1)
  T.eq(log, {"a@0", "b@1", "c@2"})
  T.eq(now(), 3.0)
end)

T.test("acquisition is FIFO", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local order = {}
  local tasks = {}
  for i = 1, 5 do
    tasks[i] = spawn(function()
      await(lock:acquire())
      order[#order + 1] = i
      lock:release()
    end)
    await(asyncio.sleep(0)) -- let it queue up, in order
  end
  lock:release()
  await(asyncio.gather(table.unpack(tasks)))
  T.eq(order, {1, 2, 3, 4, 5})
end)

T.test("a newcomer does not jump the queue while the woken waiter has not run", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local order = {}
  local b = spawn(function()
    await(lock:acquire())
    order[#order + 1] = "b"
    await(asyncio.sleep(1))
    lock:release()
  end)
  await(asyncio.sleep(0))
  lock:release() -- wakes b, which has not run yet
  T.eq(lock:locked(), false)
  await(lock:acquire()) -- must queue up behind b
  order[#order + 1] = "main"
  T.eq(order, {"b", "main"})
  T.eq(now(), 1.0, "main got the lock when b released it")
  lock:release()
  await(b)
end)

T.test("a cancelled waiter is skipped", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local got = {}
  local b = spawn(function() await(lock:acquire()); got[#got + 1] = "b"; lock:release() end)
  local c = spawn(function() await(lock:acquire()); got[#got + 1] = "c"; lock:release() end)
  await(asyncio.sleep(0))
  b:cancel()
  await(asyncio.sleep(0))
  lock:release()
  await(c)
  T.ok(b:cancelled())
  T.eq(got, {"c"})
  T.eq(lock:locked(), false)
end)

T.test("a waiter woken and then cancelled passes its turn on", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local got = {}
  local b = spawn(function() await(lock:acquire()); got[#got + 1] = "b"; lock:release() end)
  local c = spawn(function() await(lock:acquire()); got[#got + 1] = "c"; lock:release() end)
  await(asyncio.sleep(0))
  lock:release() -- b's future is resolved ...
  b:cancel()     -- ... but b is cancelled before it runs
  await(c)
  T.ok(b:cancelled(), "b ends cancelled")
  T.eq(got, {"c"}, "c got the lock")
  T.eq(lock:locked(), false, "the lock is not stranded")
end)

T.test("the lock has no owner: another task may release it", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  await(spawn(function() lock:release() end))
  T.eq(lock:locked(), false)
end)

T.test("releasing an unlocked lock raises", function()
  local lock = asyncio.Lock()
  T.raises("Lock is not acquired", lock.release, lock)
  await(lock:acquire())
  lock:release()
  T.raises("Lock is not acquired", lock.release, lock)
end)

T.test("hold() releases at the end of the block, also on error", function()
  local lock = asyncio.Lock()
  do
    local guard <close> = await(lock:hold())
    T.eq(lock:locked(), true)
    T.ok(guard ~= nil)
  end
  T.eq(lock:locked(), false)
  T.raises("inside", function()
    local _ <close> = await(lock:hold())
    error("inside")
  end)
  T.eq(lock:locked(), false, "released by the error path")
end)

T.test("hold() serialises blocks across tasks", function()
  local lock = asyncio.Lock()
  local log = {}
  local function worker(name)
    local _ <close> = await(lock:hold())
    log[#log + 1] = name .. "+"
    await(asyncio.sleep(1))
    log[#log + 1] = name .. "-"
  end
  await(asyncio.gather(spawn(worker, "a"), spawn(worker, "b")))
  T.eq(log, {"a+", "a-", "b+", "b-"})
  T.eq(now(), 2.0)
end)

T.test("a task cancelled inside hold() releases the lock", function()
  local lock = asyncio.Lock()
  local t = spawn(function()
    local _ <close> = await(lock:hold())
    await(asyncio.sleep(10))
  end)
  await(asyncio.sleep(1))
  T.eq(lock:locked(), true)
  t:cancel()
  T.raises(asyncio.CancelledError, function() await(t) end)
  T.eq(lock:locked(), false)
end)

T.test("tostring", function()
  local lock = asyncio.Lock()
  T.eq(tostring(lock), "<asyncio.Lock [unlocked]>")
  await(lock:acquire())
  local t = spawn(function() await(lock:acquire()) end)
  await(asyncio.sleep(0))
  T.eq(tostring(lock), "<asyncio.Lock [locked, waiters:1]>")
  t:cancel()
end)

T.done()
