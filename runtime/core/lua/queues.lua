-- queues.lua: Queue, PriorityQueue, LifoQueue.
--
-- Ports of the classes in CPython's Lib/asyncio/queues.py (3.13, with
-- shutdown).
-- `q:put(x)`, `q:get()` and `q:join()` are coroutine functions used as
-- methods: `await(q:get())`. The non-waiting paths are kept cheap because
-- queues are on hot paths: Queue stores its items in a ring buffer,
-- LifoQueue in an array, PriorityQueue in a binary heap, and `get()` on a
-- non-empty queue (or `put()` on a non-full one) creates no future.
--
-- PriorityQueue order: an item that is a table without an `__lt` metamethod
-- (an entry such as `{priority, value}`) is ordered by its first element
-- `[1]`; any other item (numbers, strings, objects with `__lt`) by itself,
-- with `<`. Items whose keys are equal come out in insertion order (stable),
-- so unlike Python the values of equal-priority entries are never compared.
-- All keys in one queue must be comparable with each other.
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local QueueEmpty, QueueFull = asyncio.QueueEmpty, asyncio.QueueFull
local QueueShutDown = asyncio.QueueShutDown
local Future = asyncio.Future
local label_future = asyncio._label

---------------------------------------------------------------- waiter FIFO
-- Waiting futures in arrival order: slots first..last; a slot is `false`
-- when its future was removed from the middle. Both ends always hold live
-- entries (or the FIFO is empty with first = last + 1).

local function fifo_new() return {first = 1, last = 0} end

local function fifo_push(q, v)
  local l = q.last + 1
  q.last = l
  q[l] = v
end

-- Removes and returns the oldest entry, or nil when there is none.
local function fifo_pop(q)
  local f, l = q.first, q.last
  while f <= l do
    local v = q[f]
    q[f] = nil
    f = f + 1
    if v then
      if f > l then q.first, q.last = 1, 0 else q.first = f end
      return v
    end
  end
  q.first, q.last = 1, 0
  return nil
end

-- Removes `v` wherever it is (O(n), on the error path only, as in Python).
local function fifo_remove(q, v)
  for i = q.first, q.last do
    if q[i] == v then
      q[i] = false
      break
    end
  end
  while q.last >= q.first and q[q.last] == false do
    q[q.last] = nil
    q.last = q.last - 1
  end
  while q.first <= q.last and q[q.first] == false do
    q[q.first] = nil
    q.first = q.first + 1
  end
  if q.first > q.last then q.first, q.last = 1, 0 end
end

-- Wakes the oldest waiter that is not done (cancelled); port of
-- `Queue._wakeup_next`.
local function wakeup_next(q)
  while true do
    local w = fifo_pop(q)
    if w == nil then return end
    if not w:done() then
      w:set_result()
      return
    end
  end
end

---------------------------------------------------------------- Queue

local Queue = {__name = "asyncio.Queue"}
Queue.__index = Queue

-- Builds a queue of class `cls`; `maxsize` <= 0 (the default) is unbounded.
local function new_queue(cls, fname, maxsize)
  if maxsize == nil then maxsize = 0 end
  if type(maxsize) ~= "number" then
    error("bad argument #1 to '" .. fname .. "' (number expected, got " .. type(maxsize) .. ")", 3)
  end
  local q = setmetatable({
    maxsize = maxsize,
    _n = 0,                  -- number of items
    _getters = fifo_new(),
    _putters = fifo_new(),
    _unfinished = 0,         -- put_nowait() calls not matched by task_done()
    _joiners = {},           -- join() futures; Python's `_finished` Event
    _shutdown = false,
  }, cls)
  q:_init()
  return q
end

-- The ring buffer: `_cap` slots, items at _head, _head+1, ... (wrapping).
function Queue:_init()
  self._buf, self._cap, self._head = {}, 16, 1
end

function Queue:_put(item)
  local n, cap = self._n, self._cap
  if n == cap then
    -- Full: unroll into a buffer twice as large, oldest item first.
    local old, new, h = self._buf, {}, self._head
    for i = 1, n do new[i] = old[(h + i - 2) % cap + 1] end
    self._buf, self._head, self._cap = new, 1, cap * 2
    cap = cap * 2
  end
  self._buf[(self._head + n - 1) % cap + 1] = item
  self._n = n + 1
end

function Queue:_get()
  local h, buf = self._head, self._buf
  local item = buf[h]
  buf[h] = nil
  self._head = h % self._cap + 1
  self._n = self._n - 1
  return item
end

-- asyncio.Queue([maxsize]): a FIFO queue.
function asyncio.Queue(maxsize) return new_queue(Queue, "Queue", maxsize) end

function Queue:qsize() return self._n end
function Queue:empty() return self._n == 0 end
function Queue:full()
  local maxsize = self.maxsize
  return maxsize > 0 and self._n >= maxsize
end

-- Adds `item` at once; raises a QueueFull instance if the queue is full.
function Queue:put_nowait(item)
  if self._shutdown then error(QueueShutDown(), 2) end
  local maxsize = self.maxsize
  if maxsize > 0 and self._n >= maxsize then error(QueueFull(), 2) end
  self:_put(item)
  self._unfinished = self._unfinished + 1
  local getters = self._getters
  if getters.first <= getters.last then wakeup_next(getters) end
end

-- Removes and returns an item at once; raises a QueueEmpty instance if the
-- queue is empty.
function Queue:get_nowait()
  if self._n == 0 then error(self._shutdown and QueueShutDown() or QueueEmpty(), 2) end
  local item = self:_get()
  local putters = self._putters
  if putters.first <= putters.last then wakeup_next(putters) end
  return item
end

-- The cleanup of an interrupted wait, run by a to-be-closed guard: unlike a
-- pcall around the await, it adds nothing to the cost of resuming the task
-- (measured: a pcall frame makes each resume about a third slower).
-- On an error (a cancellation): the waiter future is cancelled and dropped,
-- and if this waiter had already been woken, the wake-up passes on.
local Waiting = {__name = "asyncio.QueueWaiting"}
Waiting.__close = function(g, err)
  if err == nil then return end
  local w, waiters = g.w, g.waiters
  w:cancel() -- in case it is still pending
  fifo_remove(waiters, w)
  if not g.blocked(g.q) and not w:cancelled() then wakeup_next(waiters) end
end

-- Waits on a new future queued in `waiters` until `blocked(self)` is false;
-- port of the wait loop shared by `Queue.put` and `Queue.get`. `label`
-- names the wait in timelines and call graphs.
local function wait_until(self, waiters, blocked, label)
  while blocked(self) do
    if self._shutdown then error(QueueShutDown(), 0) end
    local w = label_future(Future(), label)
    fifo_push(waiters, w)
    local _ <close> = setmetatable({q = self, w = w, waiters = waiters, blocked = blocked}, Waiting)
    await(w)
  end
end

-- await(q:put(item)): waits while the queue is full, then adds `item`.
Queue.put = async(function(self, item)
  if self.maxsize > 0 and self._n >= self.maxsize then
    wait_until(self, self._putters, Queue.full, "queue put")
  end
  return self:put_nowait(item)
end)

-- await(q:get()) -> item: waits while the queue is empty, then removes and
-- returns the next item.
Queue.get = async(function(self)
  if self._n == 0 then wait_until(self, self._getters, Queue.empty, "queue get") end
  return self:get_nowait()
end)

-- Marks one item taken with get() as processed. Raises if called more times
-- than items were put.
-- Wakes every join() (no unfinished items are left).
local function finished(self)
  local joiners = self._joiners
  self._joiners = {}
  for _, fut in ipairs(joiners) do
    if not fut:done() then fut:set_result(true) end
  end
end

function Queue:task_done()
  if self._unfinished <= 0 then error("task_done() called too many times", 2) end
  self._unfinished = self._unfinished - 1
  if self._unfinished == 0 then finished(self) end
end

-- Wakes every waiter of the FIFO (they re-check the queue and raise).
local function wake_all(waiters)
  while true do
    local w = fifo_pop(waiters)
    if w == nil then return end
    if not w:done() then w:set_result() end
  end
end

--[[
q:shutdown([immediate]): port of Python 3.13's `Queue.shutdown`. From now
on put() and put_nowait() raise QueueShutDown, and so do get() and
get_nowait() once the queue is empty; every task blocked in put() or get()
wakes up to find that out. With `immediate`, the items left are dropped at
once (each counted as task_done(), which may end a join()), so get() raises
at once too.
--]]
function Queue:shutdown(immediate)
  self._shutdown = true
  if immediate then
    while self._n > 0 do
      self:_get()
      if self._unfinished > 0 then self._unfinished = self._unfinished - 1 end
    end
    if self._unfinished == 0 then finished(self) end
  end
  wake_all(self._getters)
  wake_all(self._putters)
end

-- Whether shutdown() was called.
function Queue:is_shutdown() return self._shutdown end

-- await(q:join()): waits until every item put has been marked task_done().
Queue.join = async(function(self)
  if self._unfinished > 0 then
    local fut = label_future(Future(), "queue join")
    local joiners = self._joiners
    joiners[#joiners + 1] = fut
    local ok, err = pcall(await, fut)
    if not ok then
      for i = #joiners, 1, -1 do
        if joiners[i] == fut then table.remove(joiners, i) end
      end
      error(err, 0)
    end
  end
end)

function Queue:__tostring()
  local s = string.format("<%s maxsize=%s qsize=%d", getmetatable(self).__name,
    tostring(self.maxsize), self._n)
  local g, p = self._getters, self._putters
  if g.first <= g.last then s = s .. " getters[" .. (g.last - g.first + 1) .. "]" end
  if p.first <= p.last then s = s .. " putters[" .. (p.last - p.first + 1) .. "]" end
  if self._unfinished > 0 then s = s .. " tasks=" .. self._unfinished end
  if self._shutdown then s = s .. " shutdown" end
  return s .. ">"
end

---------------------------------------------------------------- LifoQueue

local LifoQueue = setmetatable({__name = "asyncio.LifoQueue"}, {__index = Queue})
LifoQueue.__index = LifoQueue
LifoQueue.__tostring = Queue.__tostring

-- asyncio.LifoQueue([maxsize]): get() returns the most recently put item.
function asyncio.LifoQueue(maxsize) return new_queue(LifoQueue, "LifoQueue", maxsize) end

function LifoQueue:_init() self._buf = {} end
function LifoQueue:_put(item)
  local n = self._n + 1
  self._buf[n] = item
  self._n = n
end
function LifoQueue:_get()
  local n, buf = self._n, self._buf
  local item = buf[n]
  buf[n] = nil
  self._n = n - 1
  return item
end

---------------------------------------------------------------- PriorityQueue

local PriorityQueue = setmetatable({__name = "asyncio.PriorityQueue"}, {__index = Queue})
PriorityQueue.__index = PriorityQueue
PriorityQueue.__tostring = Queue.__tostring

-- asyncio.PriorityQueue([maxsize]): get() returns the smallest item (see the
-- ordering rules at the top of this file).
function asyncio.PriorityQueue(maxsize) return new_queue(PriorityQueue, "PriorityQueue", maxsize) end

-- The heap is three parallel arrays: items, their sort keys, and their
-- insertion numbers (the tie-breaker). Slot i's children are 2i and 2i+1.
function PriorityQueue:_init()
  self._items, self._keys, self._seqs, self._count = {}, {}, {}, 0
end

local function sort_key(item)
  if type(item) == "table" then
    local mt = getmetatable(item)
    if mt == nil or mt.__lt == nil then return item[1] end
  end
  return item
end

-- Does slot i sort before slot j?
local function before(keys, seqs, i, j)
  local a, b = keys[i], keys[j]
  if a < b then return true end
  if b < a then return false end
  return seqs[i] < seqs[j]
end

local function swap(self, i, j)
  local items, keys, seqs = self._items, self._keys, self._seqs
  items[i], items[j] = items[j], items[i]
  keys[i], keys[j] = keys[j], keys[i]
  seqs[i], seqs[j] = seqs[j], seqs[i]
end

function PriorityQueue:_put(item)
  local key = sort_key(item)
  if key == nil then error("PriorityQueue items need a sort key (got nil)", 3) end
  local keys, seqs = self._keys, self._seqs
  local i = self._n + 1
  -- Check comparability before touching the heap, so a bad key leaves it intact.
  if i > 1 then local _ = key < keys[1] end
  self._count = self._count + 1
  self._items[i], keys[i], seqs[i] = item, key, self._count
  self._n = i
  while i > 1 do -- sift up
    local parent = i // 2
    if not before(keys, seqs, i, parent) then break end
    swap(self, i, parent)
    i = parent
  end
end

function PriorityQueue:_get()
  local items, keys, seqs = self._items, self._keys, self._seqs
  local n = self._n
  local top = items[1]
  swap(self, 1, n)
  items[n], keys[n], seqs[n] = nil, nil, nil
  n = n - 1
  self._n = n
  local i = 1
  while true do -- sift down
    local l = 2 * i
    if l > n then break end
    local c = l
    if l + 1 <= n and before(keys, seqs, l + 1, l) then c = l + 1 end
    if not before(keys, seqs, c, i) then break end
    swap(self, i, c)
    i = c
  end
  return top
end
