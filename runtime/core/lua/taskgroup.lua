-- taskgroup.lua: asyncio.TaskGroup.
--
-- Port of `TaskGroup` from CPython's Lib/asyncio/taskgroups.py (3.11).
-- Python's `async with asyncio.TaskGroup() as tg:` becomes a to-be-closed
-- variable, entered when it is created:
--
--   local tg <close> = asyncio.TaskGroup()
--   tg:create_task(worker(1))
--   tg:create_task(worker(2))
--   -- the end of the block waits for both
--
-- `__close` plays `__aexit__`: it awaits (Lua 5.4 lets `__close` yield inside
-- a coroutine; the core runs task bodies under a yieldable pcall so this also
-- holds when the block ends with an error). The first child that fails
-- cancels the other children and the parent task (the one that created the
-- group), so the block stops at its current await; `__close` then takes that
-- cancellation back with `uncancel()` and raises an ExceptionGroup holding
-- every failure (and the block's own error, if it had one that was not a
-- cancellation). Children that end cancelled are not failures.
--
-- One difference from Python: `__close` cannot swallow the error that ends
-- the block. Python's `__aexit__` only suppresses a CancelledError when it
-- raises an ExceptionGroup instead, which replaces the error here as well.
local asyncio = ...

local await = asyncio.await
local CancelledError, ExceptionGroup = asyncio.CancelledError, asyncio.ExceptionGroup

local TaskGroup = {__name = "asyncio.TaskGroup"}
TaskGroup.__index = TaskGroup

-- Cancels every child that is not done; port of `_abort`.
local function abort(self)
  self._aborting = true
  for t in pairs(self._tasks) do
    if not t:done() then t:cancel() end
  end
end

-- Done callback of every child; port of `_on_task_done`.
local function on_task_done(self, task)
  if self._tasks[task] then
    self._tasks[task] = nil
    self._ntasks = self._ntasks - 1
  end

  local fut = self._on_completed_fut
  if fut ~= nil and self._ntasks == 0 and not fut:done() then
    fut:set_result(true)
  end

  if task:cancelled() then return end
  local exc = task:exception()
  if exc == nil then return end

  self._errors[#self._errors + 1] = exc
  -- Python reports an error whose parent task is already done through the
  -- loop's exception handler; the error is kept in _errors here, and the
  -- parent, being done, cannot be cancelled.
  if self._parent_task:done() then return end

  if not self._aborting and not self._parent_cancel_requested then
    -- The parent is not being cancelled: cancel it ourselves so that the
    -- block stops at its current await, and remember to uncancel() it in
    -- __close so that only the ExceptionGroup comes out.
    abort(self)
    self._parent_cancel_requested = true
    self._parent_task:cancel()
  end
end

--[[
asyncio.TaskGroup() -> TaskGroup, for a to-be-closed variable.
Must be created inside a task, which becomes the group's parent task.
--]]
function asyncio.TaskGroup()
  local parent = asyncio.current_task()
  if parent == nil then error("TaskGroup cannot determine the parent task", 2) end
  local self = setmetatable({
    _parent_task = parent,
    _exiting = false,
    _aborting = false,
    _closed = false,
    _parent_cancel_requested = false,
    _tasks = {},          -- set of children not done
    _ntasks = 0,
    _errors = {},
    _on_completed_fut = nil,
  }, TaskGroup)
  self._on_done = function(task) on_task_done(self, task) end
  return self
end

--[[
tg:create_task(coro [, name]) -> Task. Starts `coro` as a child of the group.
Raises once the group has finished or is shutting down after a failure.
--]]
function TaskGroup:create_task(coro, name)
  if not asyncio.iscoroutine(coro) then
    error("bad argument #1 to 'create_task' (coroutine expected, got " .. type(coro) .. ")", 2)
  end
  if self._closed or (self._exiting and self._ntasks == 0) then
    error("TaskGroup " .. tostring(self) .. " is finished", 2)
  end
  if self._aborting then
    error("TaskGroup " .. tostring(self) .. " is shutting down", 2)
  end
  local task = asyncio.create_task(coro, name)
  self._tasks[task] = true
  self._ntasks = self._ntasks + 1
  task:add_done_callback(self._on_done)
  return task
end

--[[
The end of the block; port of `__aexit__` / `_aexit`. `err` is the error
ending the block, or nil. Waits until every child is done (cancelling them all
first if the block ends with an error), then raises, in this order of
preference: an ExceptionGroup of the children's failures plus `err` if it is
not a cancellation; the CancelledError that cancelled the parent from outside
the group; nothing (the block's own error, if any, keeps propagating).
--]]
function TaskGroup:__close(err)
  if self._closed then return end
  self._exiting = true
  local parent = self._parent_task

  local propagate_cancellation_error = nil
  if CancelledError:is(err) then propagate_cancellation_error = err end

  if err ~= nil and not self._aborting then
    -- The parent is being cancelled, or the block raised: stop the children.
    abort(self)
  end

  -- A loop because the wait can be cancelled several times: each time our
  -- parent task is cancelled, also while our own cancellation is under way.
  while self._ntasks > 0 do
    if self._on_completed_fut == nil then
      self._on_completed_fut = asyncio._label(asyncio.Future(), "TaskGroup", self._tasks)
    end
    local ok, e = pcall(await, self._on_completed_fut)
    if not ok then
      if not CancelledError:is(e) then
        self._closed = true
        error(e, 0)
      end
      if not self._aborting then
        -- The parent was cancelled from outside while the children ran.
        propagate_cancellation_error = e
        abort(self)
      end
    end
    self._on_completed_fut = nil
  end
  self._closed = true

  if self._parent_cancel_requested then
    -- We cancelled the parent ourselves: take that request back. If no other
    -- cancellation is pending, the CancelledError must not propagate.
    if parent:uncancel() == 0 then propagate_cancellation_error = nil end
  end

  local errors = self._errors
  if propagate_cancellation_error ~= nil and #errors == 0 then
    error(propagate_cancellation_error, 0)
  end

  if err ~= nil and not CancelledError:is(err) then errors[#errors + 1] = err end

  if #errors > 0 then
    -- If the parent is being cancelled from outside the group, uncancel and
    -- re-cancel it, keeping its cancel count stable.
    if parent:cancelling() > 0 then
      parent:uncancel()
      parent:cancel()
    end
    error(ExceptionGroup("unhandled errors in a TaskGroup", errors), 0)
  end
end

function TaskGroup:__tostring()
  local info = {}
  if self._ntasks > 0 then info[#info + 1] = "tasks=" .. self._ntasks end
  if #self._errors > 0 then info[#info + 1] = "errors=" .. #self._errors end
  if self._aborting then info[#info + 1] = "cancelling"
  elseif not self._closed then info[#info + 1] = "entered" end
  return "<TaskGroup " .. table.concat(info, " ") .. ">"
end
