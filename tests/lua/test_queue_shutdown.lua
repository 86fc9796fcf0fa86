-- Queue:shutdown(immediate) and asyncio.QueueShutDown (Python 3.13
-- semantics), on the virtual clock, for all three queue kinds.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end
local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

-- Awaits aw and returns "ok", results... or "error", err.
local function outcome(aw)
  return (function(ok, ...)
    if ok then return "ok", ... end
    return "error", ...
  end)(pcall(await, aw))
end

for _, kind in ipairs({"Queue", "LifoQueue", "PriorityQueue"}) do
  T.test(kind .. ": after shutdown, puts raise and gets drain what is left, then raise", function()
    local q = asyncio[kind]()
    q:put_nowait(1)
    q:put_nowait(2)
    T.eq(q:is_shutdown(), false)
    q:shutdown()
    T.eq(q:is_shutdown(), true)
    local err = T.raises(asyncio.QueueShutDown, q.put_nowait, q, 3)
    T.eq(tostring(err), "QueueShutDown")
    T.ok(asyncio.Error:is(err), "QueueShutDown is an asyncio.Error")
    T.raises(asyncio.QueueShutDown, function() await(q:put(3)) end)
    T.eq(q:qsize(), 2, "items already queued stay")
    local a, b = await(q:get()), q:get_nowait()
    T.eq(a + b, 3)
    T.raises(asyncio.QueueShutDown, q.get_nowait, q)
    T.raises(asyncio.QueueShutDown, function() await(q:get()) end)
  end)
end

T.test("shutdown wakes every blocked getter with QueueShutDown", function()
  local q = asyncio.Queue()
  local getters = {}
  for i = 1, 3 do getters[i] = spawn(function() return outcome(q:get()) end) end
  await(asyncio.sleep(1))
  q:shutdown()
  for i = 1, 3 do
    local what, err = await(getters[i])
    T.eq(what, "error")
    T.ok(asyncio.QueueShutDown:is(err), "getter " .. i .. " got " .. tostring(err))
  end
  T.eq(now(), 1, "woken at once")
end)

T.test("shutdown wakes every blocked putter with QueueShutDown", function()
  local q = asyncio.Queue(1)
  q:put_nowait("full")
  local putters = {}
  for i = 1, 2 do putters[i] = spawn(function() return outcome(q:put(i)) end) end
  await(asyncio.sleep(1))
  q:shutdown()
  for i = 1, 2 do
    local what, err = await(putters[i])
    T.eq(what, "error")
    T.ok(asyncio.QueueShutDown:is(err))
  end
  T.eq(q:qsize(), 1)
  T.eq(q:get_nowait(), "full", "a graceful shutdown keeps the items")
end)

T.test("a consumer loop ends cleanly when the producer shuts the queue down", function()
  local q = asyncio.Queue(2)
  local seen = {}
  local consumer = spawn(function()
    while true do
      local ok, item = pcall(await, q:get())
      if not ok then
        T.ok(asyncio.QueueShutDown:is(item))
        return "done"
      end
      seen[#seen + 1] = item
      await(asyncio.sleep(1))
      q:task_done()
    end
  end)
  for i = 1, 5 do await(q:put(i)) end
  q:shutdown()
  await(q:join())
  T.eq(await(consumer), "done")
  T.eq(seen, {1, 2, 3, 4, 5}, "every item put before shutdown is consumed")
  T.eq(now(), 5)
end)

T.test("immediate shutdown drops the items, marks them done, and ends join()", function()
  local q = asyncio.Queue()
  for i = 1, 4 do q:put_nowait(i) end
  T.eq(q:get_nowait(), 1) -- taken but not task_done: join still waits for it
  local joined = spawn(function() await(q:join()); return now() end)
  await(asyncio.sleep(1))
  q:shutdown(true)
  T.eq(q:qsize(), 0)
  T.raises(asyncio.QueueShutDown, q.get_nowait, q)
  await(asyncio.sleep(1))
  T.eq(joined:done(), false, "the item taken before still counts")
  q:task_done()
  T.eq(await(joined), 2)
  T.raises("task_done%(%) called too many times", q.task_done, q)
end)

T.test("immediate shutdown of a queue with nothing unfinished ends join() at once", function()
  local q = asyncio.Queue()
  q:put_nowait("x")
  local joined = spawn(function() await(q:join()); return "joined" end)
  await(asyncio.sleep(0))
  q:shutdown(true)
  T.eq(await(joined), "joined")
end)

T.test("a getter cancelled after a shutdown woke it does not hide the shutdown", function()
  local q = asyncio.Queue()
  local g1 = spawn(function() return await(q:get()) end)
  local g2 = spawn(function() return outcome(q:get()) end)
  await(asyncio.sleep(0))
  q:shutdown()
  g1:cancel()
  T.eq(select(1, await(g2)), "error")
  T.raises(asyncio.CancelledError, function() await(g1) end)
end)

T.test("tostring shows the shutdown", function()
  local q = asyncio.Queue(3)
  q:shutdown()
  T.ok(tostring(q):find("shutdown", 1, true), tostring(q))
end)

T.done()
