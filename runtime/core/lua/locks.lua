-- locks.lua: Lock, Event, Condition, Semaphore, BoundedSemaphore.
--
-- Ports of the classes in CPython's Lib/asyncio/locks.py (3.12). Waiting
-- methods are coroutine functions used as methods, so `lock:acquire()` makes a
-- coroutine object and `await(lock:acquire())` waits. Python's
-- `async with lock:` becomes
--
--   local _ <close> = await(lock:hold())
--
-- where `hold` acquires and returns a guard whose `__close` releases.
--
-- Waiters are futures kept in plain arrays in arrival order; acquisition is
-- FIFO. A waiter that is woken and then cancelled before it runs passes its
-- turn on to the next one, so a cancellation never strands the others.
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local CancelledError = asyncio.CancelledError

-- Removes the first occurrence of `v` from the array `list`.
local function remove_value(list, v)
  for i = 1, #list do
    if list[i] == v then
      table.remove(list, i)
      return
    end
  end
end

-- Adds a future to `waiters`, waits for it, and takes it out again whatever
-- happens. Returns pcall-style `ok, err` (err: usually a CancelledError).
-- `label` names the wait in timelines and call graphs ("lock", "event"...).
local function wait_on_new_future(waiters, label)
  local fut = asyncio._label(asyncio.Future(), label)
  waiters[#waiters + 1] = fut
  local ok, err = pcall(await, fut)
  remove_value(waiters, fut)
  return ok, err, fut
end

local function describe(self, state)
  local n = #self._waiters
  if n > 0 then state = state .. ", waiters:" .. n end
  return "<" .. getmetatable(self).__name .. " [" .. state .. "]>"
end

---------------------------------------------------------------- guards

-- The object `hold()` returns: `__close` releases the primitive once.
local Guard = {__name = "asyncio.Guard"}
Guard.__index = Guard

function Guard:release()
  if not self._released then
    self._released = true
    self._owner:release()
  end
end
Guard.__close = Guard.release

-- `prim:hold()`: acquires `prim` and returns a guard for a to-be-closed
-- variable whose end releases it.
local hold = async(function(self)
  await(self:acquire())
  return setmetatable({_owner = self, _released = false}, Guard)
end)

---------------------------------------------------------------- Lock

local Lock = {__name = "asyncio.Lock"}
Lock.__index = Lock
Lock.hold = hold

-- asyncio.Lock(): an unlocked lock. It has no owner: any task may release it.
function asyncio.Lock()
  return setmetatable({_waiters = {}, _locked = false}, Lock)
end

function Lock:locked() return self._locked end

-- Wakes the first waiter unless it is already woken; port of `_wake_up_first`.
local function wake_up_first(self)
  local fut = self._waiters[1]
  if fut ~= nil and not fut:done() then fut:set_result(true) end
end

--[[
await(lock:acquire()) -> true. Port of `Lock.acquire`: takes the lock at once
if it is free and nobody (not cancelled) is queued; otherwise queues FIFO. If
the wait is cancelled while the lock is free, the next waiter is woken.
--]]
Lock.acquire = async(function(self)
  local free = not self._locked
  if free then
    for _, w in ipairs(self._waiters) do
      if not w:cancelled() then free = false; break end
    end
  end
  if free then
    self._locked = true
    return true
  end
  local ok, err = wait_on_new_future(self._waiters, "lock")
  if not ok then
    if CancelledError:is(err) and not self._locked then wake_up_first(self) end
    error(err, 0)
  end
  self._locked = true
  return true
end)

-- Unlocks and wakes the first waiter. Raises if the lock is not locked.
function Lock:release()
  if not self._locked then error("Lock is not acquired", 2) end
  self._locked = false
  wake_up_first(self)
end

function Lock:__tostring() return describe(self, self._locked and "locked" or "unlocked") end

---------------------------------------------------------------- Event

local Event = {__name = "asyncio.Event"}
Event.__index = Event

-- asyncio.Event(): a flag, initially false, that tasks can wait for.
function asyncio.Event()
  return setmetatable({_waiters = {}, _value = false}, Event)
end

function Event:is_set() return self._value end

-- Sets the flag and wakes every waiter.
function Event:set()
  if not self._value then
    self._value = true
    for _, fut in ipairs(self._waiters) do
      if not fut:done() then fut:set_result(true) end
    end
  end
end

function Event:clear() self._value = false end

-- await(ev:wait()) -> true once the flag is set (at once if it is set).
Event.wait = async(function(self)
  if self._value then return true end
  local ok, err = wait_on_new_future(self._waiters, "event")
  if not ok then error(err, 0) end
  return true
end)

function Event:__tostring() return describe(self, self._value and "set" or "unset") end

---------------------------------------------------------------- Condition

local Condition = {__name = "asyncio.Condition"}
Condition.__index = Condition
Condition.hold = hold

-- asyncio.Condition([lock]): a condition variable over `lock` (a new Lock
-- by default).
function asyncio.Condition(lock)
  if lock == nil then
    lock = asyncio.Lock()
  elseif getmetatable(lock) ~= Lock then
    error("bad argument #1 to 'Condition' (Lock expected, got " .. type(lock) .. ")", 2)
  end
  return setmetatable({_lock = lock, _waiters = {}}, Condition)
end

function Condition:locked() return self._lock:locked() end
function Condition:acquire() return self._lock:acquire() end
function Condition:release() return self._lock:release() end

-- Wakes up to `n` waiters that are not woken yet; port of `_notify`.
local function notify(self, n)
  local woken = 0
  for _, fut in ipairs(self._waiters) do
    if woken >= n then break end
    if not fut:done() then
      woken = woken + 1
      fut:set_result(false)
    end
  end
end

--[[
await(cond:wait()) -> true. Port of `Condition.wait` (with the 3.13 fix
gh-112202): releases the lock, waits for a notify, and re-acquires the lock
before returning -- also when the wait is cancelled, in which case the
CancelledError is raised with the lock held again. If the wait ends with an
error after a notify reached it, the notify is passed on to another waiter.
--]]
Condition.wait = async(function(self)
  if not self:locked() then error("cannot wait on un-acquired lock", 2) end
  self:release()
  local ok, err = wait_on_new_future(self._waiters, "condition")
  -- Must re-acquire the lock even if the wait was cancelled; a cancellation
  -- during the re-acquisition is remembered and the acquisition retried.
  while true do
    local aok, aerr = pcall(await, self:acquire())
    if aok then break end
    ok, err = false, aerr
    if not CancelledError:is(aerr) then break end
  end
  if not ok then
    notify(self, 1)
    error(err, 0)
  end
  return true
end)

--[[
await(cond:wait_for(predicate)) -> the predicate's first true value. Calls
`predicate()` with the lock held, waiting between calls until it is true.
--]]
Condition.wait_for = async(function(self, predicate)
  if type(predicate) ~= "function" then
    local mt = getmetatable(predicate)
    if not (type(mt) == "table" and mt.__call) then
      error("bad argument #1 to 'wait_for' (function expected, got " .. type(predicate) .. ")", 2)
    end
  end
  local result = predicate()
  while not result do
    await(self:wait())
    result = predicate()
  end
  return result
end)

-- Wakes up to `n` (default 1) waiting tasks; the lock must be held.
function Condition:notify(n)
  if n == nil then n = 1 end
  if type(n) ~= "number" then
    error("bad argument #1 to 'notify' (number expected, got " .. type(n) .. ")", 2)
  end
  if not self:locked() then error("cannot notify on un-acquired lock", 2) end
  notify(self, n)
end

-- Wakes every waiting task; the lock must be held.
function Condition:notify_all()
  if not self:locked() then error("cannot notify on un-acquired lock", 2) end
  notify(self, #self._waiters)
end

function Condition:__tostring() return describe(self, self:locked() and "locked" or "unlocked") end

---------------------------------------------------------------- Semaphore

local Semaphore = {__name = "asyncio.Semaphore"}
Semaphore.__index = Semaphore
Semaphore.hold = hold

local function check_value(value, fname)
  if value == nil then return 1 end
  local n = type(value) == "number" and math.tointeger(value) or nil
  if n == nil or n < 0 then
    error("bad argument #1 to '" .. fname .. "' (non-negative integer expected, got "
      .. (type(value) == "number" and tostring(value) or type(value)) .. ")", 3)
  end
  return n
end

-- asyncio.Semaphore([value]): a counter, 1 by default.
function asyncio.Semaphore(value)
  value = check_value(value, "Semaphore")
  return setmetatable({_waiters = {}, _value = value}, Semaphore)
end

-- True when acquire() would have to wait: the counter is zero or a
-- (not cancelled) task is queued ahead (FIFO).
function Semaphore:locked()
  if self._value == 0 then return true end
  for _, w in ipairs(self._waiters) do
    if not w:cancelled() then return true end
  end
  return false
end

-- Wakes the first waiter not yet woken, taking a unit of the counter for it.
-- Returns whether someone was woken; port of `_wake_up_next`.
local function wake_up_next(self)
  for _, fut in ipairs(self._waiters) do
    if not fut:done() then
      self._value = self._value - 1
      fut:set_result(true)
      return true
    end
  end
  return false
end

--[[
await(sem:acquire()) -> true. Port of `Semaphore.acquire` (3.12): decrements
the counter at once if nobody is queued, else queues FIFO; a waiter woken and
then cancelled gives its unit back and passes it on.
--]]
Semaphore.acquire = async(function(self)
  if not self:locked() then
    self._value = self._value - 1
    return true
  end
  local ok, err, fut = wait_on_new_future(self._waiters, "semaphore")
  if not ok and CancelledError:is(err) and fut:done() and not fut:cancelled() then
    self._value = self._value + 1 -- woken, but we will not take the unit
  end
  -- New waiters may have queued up behind us; wake as many as allowed.
  while self._value > 0 do
    if not wake_up_next(self) then break end
  end
  if not ok then error(err, 0) end
  return true
end)

-- Increments the counter and wakes the first waiter.
function Semaphore:release()
  self._value = self._value + 1
  wake_up_next(self)
end

function Semaphore:__tostring()
  return describe(self, self:locked() and "locked" or ("unlocked, value:" .. self._value))
end

local BoundedSemaphore = setmetatable({__name = "asyncio.BoundedSemaphore"}, {__index = Semaphore})
BoundedSemaphore.__index = BoundedSemaphore
BoundedSemaphore.__tostring = Semaphore.__tostring

-- asyncio.BoundedSemaphore([value]): a Semaphore whose release() raises
-- when it would push the counter above its initial value.
function asyncio.BoundedSemaphore(value)
  value = check_value(value, "BoundedSemaphore")
  return setmetatable({_waiters = {}, _value = value, _bound_value = value}, BoundedSemaphore)
end

function BoundedSemaphore:release()
  if self._value >= self._bound_value then
    error("BoundedSemaphore released too many times", 2)
  end
  Semaphore.release(self)
end
