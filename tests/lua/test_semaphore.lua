-- Tests for asyncio.Semaphore and asyncio.BoundedSemaphore
-- (runtime/core/lua/locks.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

T.test("the counter: acquire decrements, release increments", function()
  local sem = asyncio.Semaphore(2)
  T.eq(sem:locked(), false)
  T.eq(await(sem:acquire()), true)
  T.eq(sem:locked(), false)
  T.eq(await(sem:acquire()), true)
  T.eq(sem:locked(), true)
  sem:release()
  T.eq(sem:locked(), false)
  T.eq(tostring(sem), "<asyncio.Semaphore [unlocked, value:1]>")
end)

T.test("the default value is 1", function()
  local sem = asyncio.Semaphore()
  await(sem:acquire())
  T.eq(sem:locked(), true)
end)

T.test("at most n holders at once", function()
  local sem = asyncio.Semaphore(2)
  local inside, max_inside = 0, 0
  local starts = {}
  local function worker(i)
    local _ <close> = await(sem:hold())
    inside = inside + 1
    max_inside = math.max(max_inside, inside)
    starts[i] = now()
    await(asyncio.sleep(1))
    inside = inside - 1
  end
  local tasks = {}
  for i = 1, 5 do tasks[i] = spawn(worker, i) end
  await(asyncio.gather(table.unpack(tasks)))
  T.eq(max_inside, 2)
  T.eq(starts, {0.0, 0.0, 1.0, 1.0, 2.0})
  T.eq(now(), 3.0)
end)

T.test("waiting is FIFO, and a newcomer does not jump the queue", function()
  local sem = asyncio.Semaphore(1)
  await(sem:acquire())
  local order = {}
  local a = spawn(function() await(sem:acquire()); order[#order + 1] = "a" end)
  local b = spawn(function() await(sem:acquire()); order[#order + 1] = "b" end)
  await(asyncio.sleep(0))
  sem:release() -- the unit goes to a, which has not run yet
  T.eq(sem:locked(), true, "locked while a waiter is queued")
  local c = spawn(function() await(sem:acquire()); order[#order + 1] = "c" end)
  await(asyncio.sleep(0))
  sem:release()
  sem:release()
  await(asyncio.gather(a, b, c))
  T.eq(order, {"a", "b", "c"})
end)

T.test("locked() while woken waiters have not run yet", function()
  local sem = asyncio.Semaphore(0)
  local a = spawn(function() await(sem:acquire()) end)
  local b = spawn(function() await(sem:acquire()) end)
  await(asyncio.sleep(0))
  sem:release()
  sem:release()
  sem:release() -- one unit free, but a and b are still queued
  T.eq(sem:locked(), true, "FIFO: queued waiters go first")
  await(asyncio.gather(a, b))
  T.eq(sem:locked(), false)
  await(sem:acquire())
  T.eq(sem:locked(), true)
end)

T.test("a cancelled waiter is skipped", function()
  local sem = asyncio.Semaphore(0)
  local got = {}
  local a = spawn(function() await(sem:acquire()); got[#got + 1] = "a" end)
  local b = spawn(function() await(sem:acquire()); got[#got + 1] = "b" end)
  await(asyncio.sleep(0))
  a:cancel()
  await(asyncio.sleep(0))
  sem:release()
  await(b)
  T.eq(got, {"b"})
  T.ok(a:cancelled())
end)

T.test("a waiter woken and then cancelled gives its unit to the next", function()
  local sem = asyncio.Semaphore(0)
  local got = {}
  local a = spawn(function() await(sem:acquire()); got[#got + 1] = "a" end)
  local b = spawn(function() await(sem:acquire()); got[#got + 1] = "b" end)
  await(asyncio.sleep(0))
  sem:release() -- a is woken ...
  a:cancel()    -- ... and cancelled before it runs
  await(b)
  T.ok(a:cancelled())
  T.eq(got, {"b"})
  T.eq(sem:locked(), true, "the single unit is held by b")
  sem:release()
  T.eq(sem:locked(), false)
end)

T.test("a plain Semaphore may be released above its initial value", function()
  local sem = asyncio.Semaphore(1)
  sem:release()
  await(sem:acquire())
  await(sem:acquire())
  T.eq(sem:locked(), true)
end)

T.test("BoundedSemaphore raises when released too many times", function()
  local sem = asyncio.BoundedSemaphore(2)
  T.raises("BoundedSemaphore released too many times", sem.release, sem)
  await(sem:acquire())
  sem:release()
  T.raises("BoundedSemaphore released too many times", sem.release, sem)
  await(sem:acquire())
  await(sem:acquire())
  T.eq(sem:locked(), true)
  sem:release()
  sem:release()
  T.eq(sem:locked(), false)
  T.eq(tostring(sem), "<asyncio.BoundedSemaphore [unlocked, value:2]>")
end)

T.test("BoundedSemaphore hold()", function()
  local sem = asyncio.BoundedSemaphore(1)
  do
    local _ <close> = await(sem:hold())
    T.eq(sem:locked(), true)
  end
  T.eq(sem:locked(), false)
  T.raises("released too many times", sem.release, sem)
end)

T.test("a guard releases only once", function()
  local sem = asyncio.BoundedSemaphore(1)
  local guard = await(sem:hold())
  guard:release()
  guard:release()
  T.eq(sem:locked(), false)
end)

T.test("acquire with a timeout", function()
  local sem = asyncio.Semaphore(0)
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(sem:acquire(), 2)) end)
  T.eq(now(), 2.0)
  T.eq(tostring(sem), "<asyncio.Semaphore [locked]>", "no waiter left behind")
  sem:release()
  T.eq(await(asyncio.wait_for(sem:acquire(), 2)), true)
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'Semaphore' %(non%-negative integer expected, got %-1%)",
    asyncio.Semaphore, -1)
  T.raises("bad argument #1 to 'Semaphore' %(non%-negative integer expected, got string%)",
    asyncio.Semaphore, "2")
  T.raises("bad argument #1 to 'BoundedSemaphore' %(non%-negative integer expected, got 1.5%)",
    asyncio.BoundedSemaphore, 1.5)
  local sem = asyncio.Semaphore(2.0)
  await(sem:acquire())
  T.eq(sem:locked(), false, "2.0 is accepted as 2")
end)

T.done()
