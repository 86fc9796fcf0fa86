-- Tests for asyncio.Queue, PriorityQueue and LifoQueue
-- (runtime/core/lua/queues.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

T.test("FIFO order, sizes, and the nowait variants", function()
  local q = asyncio.Queue()
  T.eq(q.maxsize, 0)
  T.eq(q:qsize(), 0)
  T.eq(q:empty(), true)
  T.eq(q:full(), false)
  for i = 1, 3 do q:put_nowait(i) end
  T.eq(q:qsize(), 3)
  T.eq(q:empty(), false)
  T.eq(q:full(), false, "an unbounded queue is never full")
  T.eq({q:get_nowait(), q:get_nowait(), q:get_nowait()}, {1, 2, 3})
  T.eq(q:empty(), true)
end)

T.test("get_nowait on an empty queue raises a QueueEmpty instance", function()
  local q = asyncio.Queue()
  local err = T.raises(asyncio.QueueEmpty, q.get_nowait, q)
  T.eq(tostring(err), "QueueEmpty")
  T.ok(asyncio.Error:is(err))
end)

T.test("put_nowait on a full queue raises a QueueFull instance", function()
  local q = asyncio.Queue(2)
  T.eq(q.maxsize, 2)
  q:put_nowait("a")
  q:put_nowait("b")
  T.eq(q:full(), true)
  T.raises(asyncio.QueueFull, q.put_nowait, q, "c")
  T.eq(q:qsize(), 2)
end)

T.test("get waits for a put", function()
  local q = asyncio.Queue()
  local c = q:get()
  T.ok(asyncio.iscoroutine(c))
  asyncio.get_running_loop():call_later(2, function() q:put_nowait("late") end)
  T.eq(await(c), "late")
  T.eq(now(), 2.0)
end)

T.test("put waits while the queue is full", function()
  local q = asyncio.Queue(1)
  await(q:put("first"))
  local putter = spawn(function()
    await(q:put("second"))
    return now()
  end)
  await(asyncio.sleep(3))
  T.ok(not putter:done(), "blocked while full")
  T.eq(q:get_nowait(), "first")
  T.eq(await(putter), 3.0)
  T.eq(q:get_nowait(), "second")
end)

T.test("getters are served in FIFO order", function()
  local q = asyncio.Queue()
  local got = {}
  local tasks = {}
  for i = 1, 3 do
    tasks[i] = spawn(function()
      local v = await(q:get())
      got[#got + 1] = i .. ":" .. v
    end)
  end
  await(asyncio.sleep(0))
  q:put_nowait("x")
  q:put_nowait("y")
  q:put_nowait("z")
  await(asyncio.gather(table.unpack(tasks)))
  T.eq(got, {"1:x", "2:y", "3:z"})
end)

T.test("a cancelled getter does not lose an item", function()
  local q = asyncio.Queue()
  local a = spawn(function() return await(q:get()) end)
  local b = spawn(function() return await(q:get()) end)
  await(asyncio.sleep(0))
  a:cancel()
  await(asyncio.sleep(0))
  q:put_nowait("item")
  T.eq(await(b), "item")
  T.ok(a:cancelled())
  T.eq(q:qsize(), 0)
end)

T.test("a getter woken and then cancelled passes the wake-up on", function()
  local q = asyncio.Queue()
  local a = spawn(function() return await(q:get()) end)
  local b = spawn(function() return await(q:get()) end)
  await(asyncio.sleep(0))
  q:put_nowait("item") -- wakes a ...
  a:cancel()           -- ... which is cancelled before it runs
  T.eq(await(b), "item")
  T.ok(a:cancelled())
end)

T.test("timed-out gets leave no waiters behind", function()
  local q = asyncio.Queue()
  for _ = 1, 50 do
    pcall(await, asyncio.wait_for(q:get(), 0.1))
  end
  T.near(now(), 5.0, 1e-9)
  T.eq(tostring(q), "<asyncio.Queue maxsize=0 qsize=0>")
  q:put_nowait(1)
  T.eq(await(q:get()), 1)
end)

T.test("join waits until every item is task_done", function()
  local q = asyncio.Queue()
  await(q:join()) -- nothing put yet: at once
  T.eq(now(), 0.0)
  for i = 1, 3 do q:put_nowait(i) end
  local worker = spawn(function()
    while true do
      await(q:get())
      await(asyncio.sleep(1))
      q:task_done()
    end
  end)
  await(q:join())
  T.eq(now(), 3.0)
  T.eq(q:empty(), true)
  worker:cancel()
end)

T.test("task_done called too many times raises", function()
  local q = asyncio.Queue()
  T.raises("task_done%(%) called too many times", q.task_done, q)
  q:put_nowait(1)
  q:get_nowait()
  q:task_done()
  T.raises("task_done%(%) called too many times", q.task_done, q)
end)

T.test("a cancelled join leaves the queue usable", function()
  local q = asyncio.Queue()
  q:put_nowait(1)
  T.raises(asyncio.TimeoutError, function() await(asyncio.wait_for(q:join(), 1)) end)
  q:get_nowait()
  local j = spawn(function() await(q:join()); return now() end)
  await(asyncio.sleep(1))
  q:task_done()
  T.eq(await(j), 2.0)
end)

T.test("the ring buffer grows and wraps around in order", function()
  local q = asyncio.Queue()
  local expect, got = 1, {}
  local next_put = 1
  for round = 1, 200 do
    for _ = 1, (round % 7) + 1 do
      q:put_nowait(next_put)
      next_put = next_put + 1
    end
    for _ = 1, (round % 5) + 1 do
      if q:empty() then break end
      local v = q:get_nowait()
      if v ~= expect then got[#got + 1] = v end
      expect = expect + 1
    end
  end
  while not q:empty() do
    local v = q:get_nowait()
    if v ~= expect then got[#got + 1] = v end
    expect = expect + 1
  end
  T.eq(got, {}, "items out of order")
  T.eq(expect, next_put)
end)

T.test("nil items are fine in a Queue", function()
  local q = asyncio.Queue()
  q:put_nowait(nil)
  q:put_nowait(false)
  T.eq(q:qsize(), 2)
  T.eq(q:get_nowait(), nil)
  T.eq(q:get_nowait(), false)
end)

T.test("LifoQueue returns the newest item first", function()
  local q = asyncio.LifoQueue()
  for i = 1, 4 do await(q:put(i)) end
  T.eq({q:get_nowait(), q:get_nowait(), await(q:get()), q:get_nowait()}, {4, 3, 2, 1})
  T.raises(asyncio.QueueEmpty, q.get_nowait, q)
  local b = asyncio.LifoQueue(1)
  b:put_nowait("x")
  T.raises(asyncio.QueueFull, b.put_nowait, b, "y")
end)

T.test("PriorityQueue orders numbers and strings", function()
  local q = asyncio.PriorityQueue()
  for _, v in ipairs({5, 1, 4, 2, 3, 0, 9}) do q:put_nowait(v) end
  local got = {}
  while not q:empty() do got[#got + 1] = q:get_nowait() end
  T.eq(got, {0, 1, 2, 3, 4, 5, 9})
  for _, s in ipairs({"pear", "apple", "fig"}) do q:put_nowait(s) end
  T.eq({q:get_nowait(), q:get_nowait(), q:get_nowait()}, {"apple", "fig", "pear"})
end)

T.test("PriorityQueue entries {priority, value}: by priority, then insertion order", function()
  local q = asyncio.PriorityQueue()
  q:put_nowait({2, "b1"})
  q:put_nowait({1, "a1"})
  q:put_nowait({2, "b2"})
  q:put_nowait({1, "a2"})
  q:put_nowait({3, "c"})
  q:put_nowait({2, "b3"})
  local got = {}
  while not q:empty() do got[#got + 1] = q:get_nowait()[2] end
  T.eq(got, {"a1", "a2", "b1", "b2", "b3", "c"})
end)

T.test("PriorityQueue with many items matches a sort", function()
  local q = asyncio.PriorityQueue()
  local values = {}
  local x = 7
  for i = 1, 500 do
    x = (x * 1103515245 + 12345) % 2147483648
    values[i] = x % 1000
    q:put_nowait(values[i])
  end
  table.sort(values)
  local got = {}
  for i = 1, 500 do got[i] = await(q:get()) end
  T.eq(got, values)
end)

T.test("PriorityQueue: objects with __lt compare themselves", function()
  local mt = {__lt = function(a, b) return a.rank < b.rank end}
  local q = asyncio.PriorityQueue()
  q:put_nowait(setmetatable({rank = 3}, mt))
  q:put_nowait(setmetatable({rank = 1}, mt))
  q:put_nowait(setmetatable({rank = 2}, mt))
  T.eq({q:get_nowait().rank, q:get_nowait().rank, q:get_nowait().rank}, {1, 2, 3})
end)

T.test("PriorityQueue: an incomparable key raises and leaves the queue intact", function()
  local q = asyncio.PriorityQueue()
  q:put_nowait(1)
  q:put_nowait(2)
  T.raises("attempt to compare", q.put_nowait, q, "x")
  T.eq(q:qsize(), 2)
  T.eq({q:get_nowait(), q:get_nowait()}, {1, 2})
end)

T.test("producer/consumer ping-pong through two queues costs no time", function()
  local q1, q2 = asyncio.Queue(), asyncio.Queue()
  local n = 2000
  local pong = spawn(function()
    for _ = 1, n do
      local v = await(q1:get())
      await(q2:put(v + 1))
    end
  end)
  local sum = 0
  for i = 1, n do
    await(q1:put(i))
    sum = sum + await(q2:get())
  end
  await(pong)
  T.eq(sum, n * (n + 1) // 2 + n)
  T.eq(now(), 0.0)
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'Queue' %(number expected, got string%)", asyncio.Queue, "3")
  T.raises("bad argument #1 to 'PriorityQueue' %(number expected, got table%)",
    asyncio.PriorityQueue, {})
  T.raises("bad argument #1 to 'LifoQueue' %(number expected, got boolean%)",
    asyncio.LifoQueue, true)
end)

T.done()
