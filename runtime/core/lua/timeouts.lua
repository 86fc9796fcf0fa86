-- timeouts.lua: asyncio.timeout, asyncio.timeout_at and asyncio.wait_for.
--
-- `Timeout` ports the class of the same name in CPython's
-- Lib/asyncio/timeouts.py (3.12); `wait_for` ports the 3.12 `tasks.wait_for`,
-- which is built on `timeout()`. Python's `async with timeout(d):` becomes a
-- to-be-closed variable, entered when it is created:
--
--   local _ <close> = asyncio.timeout(1)
--   await(slow())          -- cancelled after one second ...
--                          -- ... and TimeoutError raised where the block ends
--
-- How it works: entering records the current task and its `cancelling()`
-- count and arms a timer. When the timer fires, the task is cancelled, so a
-- CancelledError appears at its current await point and unwinds the block.
-- `__close` then sees that error, calls `task:uncancel()`, and if no other
-- cancel request is pending (the count is back to what it was at entry)
-- replaces the CancelledError with a TimeoutError. A cancellation that came
-- from elsewhere keeps propagating as CancelledError.
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local CancelledError, TimeoutError = asyncio.CancelledError, asyncio.TimeoutError
local unpack = table.unpack

-- Timeout states, named as in Python's `_State`.
local ACTIVE, EXPIRING, EXPIRED, FINISHED = "active", "expiring", "expired", "finished"

local Timeout = {__name = "asyncio.Timeout"}
Timeout.__index = Timeout

-- Timer callback: the deadline has passed inside the block. Port of
-- `Timeout._on_timeout`.
local function on_timeout(self)
  self._task:cancel()
  self._state = EXPIRING
  self._handle = nil
end

--[[
timeout:reschedule(when)

Moves the deadline to the absolute loop time `when` (nil: no deadline). A
deadline that has already passed fires on the next loop iteration. Only an
active (entered, not expired, not closed) timeout can be rescheduled.
--]]
function Timeout:reschedule(when)
  if when ~= nil and type(when) ~= "number" then
    error("bad argument #1 to 'reschedule' (number or nil expected, got "
      .. type(when) .. ")", 2)
  end
  if self._state ~= ACTIVE then
    error("Cannot change state of " .. self._state .. " Timeout", 2)
  end
  self._when = when
  if self._handle ~= nil then
    self._handle:cancel()
    self._handle = nil
  end
  if when ~= nil and when ~= math.huge then
    local loop = asyncio.get_running_loop()
    if when <= loop:time() then
      self._handle = loop:call_soon(on_timeout, self)
    else
      self._handle = loop:call_at(when, on_timeout, self)
    end
  end
end

-- The deadline as an absolute loop time, or nil when there is none.
function Timeout:when() return self._when end

-- Did the deadline pass while the block was running?
function Timeout:expired() return self._state == EXPIRING or self._state == EXPIRED end

--[[
Leaving the block (normally, by an error, or by closing the coroutine).
Port of `Timeout.__aexit__`: disarms the timer; if the deadline fired, the
block ends with a CancelledError, and that cancellation was ours (uncancel()
brings the task's count back to its value at entry), raises TimeoutError
instead (with the CancelledError in field `cause`). Closing twice is harmless.
--]]
function Timeout:__close(err)
  if self._state ~= ACTIVE and self._state ~= EXPIRING then return end
  if self._handle ~= nil then
    self._handle:cancel()
    self._handle = nil
  end
  if self._state == EXPIRING then
    self._state = EXPIRED
    if self._task:uncancel() <= self._cancelling and CancelledError:is(err) then
      error(TimeoutError(nil, {cause = err}), 0)
    end
  else
    self._state = FINISHED
  end
end

function Timeout:__tostring()
  local s = "<Timeout [" .. self._state .. "]"
  if self._state == ACTIVE and self._when ~= nil then
    s = s .. string.format(" when=%.3f", self._when)
  end
  return s .. ">"
end

-- Debug mode: a scope the program entered and never closed (no `<close>`)
-- has no end, so its deadline may cancel the task anywhere later and no
-- TimeoutError is ever raised. Warned when the task ends with the scope
-- still open, naming where it was entered.
local getinfo = debug and debug.getinfo
local function watch_unclosed(self, task)
  local info = getinfo and getinfo(3, "Sl")  -- the program (asyncio.timeout tail-calls enter)
  if info == nil or info.currentline <= 0 or info.short_src:sub(1, 9) == "[asyncio]" then return end
  local where = info.short_src .. ":" .. info.currentline
  asyncio._at_task_end(task, function()
    if self._state == ACTIVE or self._state == EXPIRING then
      asyncio._warn("timeout_not_closed", where .. ": RuntimeWarning: the asyncio.timeout() scope entered here " ..
        "was never closed: without <close> (local _ <close> = asyncio.timeout(s)) it has no end, so its " ..
        "deadline can cancel the task anywhere later and no TimeoutError is raised")
    end
  end)
end

-- Makes an entered Timeout for the running task; port of `__aenter__`.
local function enter(when)
  local task = asyncio.current_task()
  if task == nil then error("Timeout should be used inside a task", 3) end
  local self = setmetatable({
    _state = ACTIVE,
    _task = task,
    _when = when,
    _cancelling = task:cancelling(),
  }, Timeout)
  self:reschedule(when)
  if asyncio.get_running_loop():get_debug() then watch_unclosed(self, task) end
  return self
end

--[[
asyncio.timeout(delay) -> Timeout, for a to-be-closed variable.
Deadline `delay` seconds from now on the loop clock; nil means no deadline
(it can still be set later with :reschedule()).
--]]
function asyncio.timeout(delay)
  if delay ~= nil and type(delay) ~= "number" then
    error("bad argument #1 to 'timeout' (number or nil expected, got "
      .. type(delay) .. ")", 2)
  end
  local when = nil
  if delay ~= nil then when = asyncio.get_running_loop():time() + delay end
  return enter(when)
end

--[[
asyncio.timeout_at(when) -> Timeout, for a to-be-closed variable.
Deadline at the absolute loop time `when` (as read by loop:time()); nil means
no deadline.
--]]
function asyncio.timeout_at(when)
  if when ~= nil and type(when) ~= "number" then
    error("bad argument #1 to 'timeout_at' (number or nil expected, got "
      .. type(when) .. ")", 2)
  end
  return enter(when)
end

-- Is `aw` something `await` accepts?
local function isawaitable(aw)
  if asyncio.isfuture(aw) or asyncio.iscoroutine(aw) then return true end
  local mt = getmetatable(aw)
  return type(mt) == "table" and mt.__await ~= nil
end

local wrap_awaitable = async(function(aw) return await(aw) end)

-- Port of `tasks.ensure_future` for an argument already known to be awaitable.
local function ensure_future(aw)
  if asyncio.isfuture(aw) then return aw end
  if asyncio.iscoroutine(aw) then return asyncio.create_task(aw) end
  return asyncio.create_task(wrap_awaitable(aw))
end

-- Cancels `fut` and waits until it is done, while staying cancellable
-- itself (it waits on a private future, not on `fut`). Port of
-- `tasks._cancel_and_wait`.
local function cancel_and_wait(fut)
  local waiter = asyncio._label(asyncio.Future(), "cancel and wait", {fut})
  local function release(_)
    if not waiter:done() then waiter:set_result() end
  end
  fut:add_done_callback(release)
  local ok, err = pcall(function()
    fut:cancel()
    await(waiter)
  end)
  fut:remove_done_callback(release)
  if not ok then error(err, 0) end
end

--[[
asyncio.wait_for(aw, timeout) -- coroutine function

Port of the Python 3.12 `tasks.wait_for`. Awaits `aw` and returns all its
results. If `timeout` seconds pass first, `aw` is cancelled, wait_for waits
for the cancellation to finish and raises TimeoutError. `timeout` nil waits
without a limit. With `timeout <= 0`: a future or task that is already done
gives its result; anything else is cancelled at once (a bare coroutine object
is wrapped in a task that never gets to start) and TimeoutError is raised,
unless the cancelled task suppresses the cancellation and returns normally.
A coroutine object is awaited inline in the current task, as in 3.12.
--]]
asyncio.wait_for = async(function(aw, timeout)
  if not isawaitable(aw) then
    error("bad argument #1 to 'wait_for' (awaitable expected, got " .. type(aw) .. ")", 2)
  end
  if timeout ~= nil and type(timeout) ~= "number" then
    error("bad argument #2 to 'wait_for' (number or nil expected, got "
      .. type(timeout) .. ")", 2)
  end

  if timeout ~= nil and timeout <= 0 then
    local fut = ensure_future(aw)
    if fut:done() then return fut:result() end
    cancel_and_wait(fut)
    local res = table.pack(pcall(fut.result, fut))
    if res[1] then return unpack(res, 2, res.n) end
    if CancelledError:is(res[2]) then error(TimeoutError(nil, {cause = res[2]}), 0) end
    error(res[2], 0)
  end

  local _ <close> = asyncio.timeout(timeout)
  return await(aw)
end)
