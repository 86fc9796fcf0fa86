-- gather.lua: asyncio.gather and asyncio.shield.
--
-- Ports of `gather()` / `_GatheringFuture` and `shield()` from CPython's
-- Lib/asyncio/tasks.py (3.11/3.12). Both return Futures, not coroutine
-- objects, exactly as in Python. `_GatheringFuture.cancel` is expressed with
-- `asyncio._set_cancel_handler`, the core's stand-in for subclassing Future.
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local iscoroutine, isfuture = asyncio.iscoroutine, asyncio.isfuture
local CancelledError = asyncio.CancelledError

-- Is `x` something `await` accepts that is not a coroutine object or a
-- future, i.e. a value whose metatable has `__await`?
local function has_await(x)
  local mt = getmetatable(x)
  return type(mt) == "table" and mt.__await ~= nil
end

-- Runs `aw` (an object with `__await`) inside a coroutine so that it can be
-- wrapped in a task; port of `tasks._wrap_awaitable`.
local wrap_awaitable = async(function(aw) return await(aw) end)

-- Port of `tasks.ensure_future`: a future stays as it is, a coroutine object
-- becomes a Task, any other awaitable is wrapped in a coroutine and a Task.
-- Raises "bad argument #<argn> to '<fname>' (awaitable expected, got T)"
-- otherwise, at `level` (counted from the caller of ensure_future).
local function ensure_future(aw, fname, argn, level)
  if isfuture(aw) then return aw end
  if iscoroutine(aw) then return asyncio.create_task(aw) end
  if has_await(aw) then return asyncio.create_task(wrap_awaitable(aw)) end
  error(string.format("bad argument #%d to '%s' (awaitable expected, got %s)",
    argn, fname, type(aw)), (level or 1) + 1)
end

--[[
asyncio.ensure_future(aw) -> Future: `aw` itself if it is a Future or a
Task, a new Task running it if it is a coroutine object (or any value whose
metatable has __await). Anything else is an error.
--]]
function asyncio.ensure_future(aw)
  return ensure_future(aw, "ensure_future", 1, 2)
end

-- The error a cancelled future raises, carrying its cancel message; port of
-- `Future._make_cancelled_error`.
local function cancelled_error(fut)
  local ok, err = pcall(fut.result, fut)
  if not ok and CancelledError:is(err) then return err end
  return CancelledError()
end

--[[
asyncio.gather(aw1, aw2, ... [, {return_exceptions = true}]) -> Future

Port of `tasks.gather`. Coroutine objects (and other awaitables) are wrapped in
tasks; an awaitable passed twice is run once and its result appears at both
positions. The result is an array of the first result of each child, in
argument order, with the count in field `n` (children may return nil).

Without return_exceptions the first error (or a CancelledError for a cancelled
child) becomes the outer future's exception at once while the other children go
on running. With return_exceptions errors are stored in the result array in
place of results, a cancelled child as a CancelledError instance.

Cancelling the returned future cancels every child that is not done; if any
child was actually cancelled the outer future then ends with a CancelledError
exception (never in the cancelled state itself, as in Python). The last
argument is taken as the options table when it is a table without a metatable.
--]]
local gather_options = {"return_exceptions"}

function asyncio.gather(...)
  local nargs = select("#", ...)
  local args = table.pack(...)
  local return_exceptions = false
  if nargs > 0 and type(args[nargs]) == "table" and getmetatable(args[nargs]) == nil then
    asyncio._check_options(args[nargs], "gather", gather_options)
    return_exceptions = args[nargs].return_exceptions and true or false
    nargs = nargs - 1
  end

  if nargs == 0 then
    local outer = asyncio.Future()
    outer:set_result({n = 0})
    return outer
  end

  -- Validate every argument before any task is created, so that a bad
  -- argument does not leave half the children running.
  for i = 1, nargs do
    local aw = args[i]
    if not (isfuture(aw) or iscoroutine(aw) or has_await(aw)) then
      error(string.format("bad argument #%d to 'gather' (awaitable expected, got %s)",
        i, type(aw)), 2)
    end
  end

  local children, arg_to_fut = {}, {}
  local nfuts, nfinished = 0, 0
  local done_futs = {}
  local outer = nil -- set below, before any done callback can run
  local cancel_requested = false

  -- Called once for each distinct child when it completes.
  local function done_callback(fut)
    nfinished = nfinished + 1

    if outer == nil or outer:done() then
      -- Mark the exception retrieved, so it is not reported as lost.
      if not fut:cancelled() then fut:exception() end
      return
    end

    if not return_exceptions then
      if fut:cancelled() then
        outer:set_exception(cancelled_error(fut))
        return
      end
      local exc = fut:exception()
      if exc ~= nil then
        outer:set_exception(exc)
        return
      end
    end

    if nfinished == nfuts then
      local results = {n = #children}
      for i, child in ipairs(children) do
        if child:cancelled() then
          results[i] = cancelled_error(child)
        else
          local exc = child:exception()
          if exc ~= nil then results[i] = exc else results[i] = (child:result()) end
        end
      end
      if cancel_requested then
        -- The gather was cancelled: propagate the cancellation whatever
        -- return_exceptions says (bpo-32684).
        outer:set_exception(cancelled_error(fut))
      else
        outer:set_result(results)
      end
    end
  end

  for i = 1, nargs do
    local aw = args[i]
    local fut = arg_to_fut[aw]
    if fut == nil then
      fut = ensure_future(aw, "gather", i, 2)
      nfuts = nfuts + 1
      arg_to_fut[aw] = fut
      if fut:done() then
        done_futs[#done_futs + 1] = fut
      else
        fut:add_done_callback(done_callback)
      end
    end
    children[i] = fut
  end

  outer = asyncio._label(asyncio.Future(), "gather", children)
  -- Port of `_GatheringFuture.cancel`.
  asyncio._set_cancel_handler(outer, function(_, msg)
    if outer:done() then return false end
    local ret = false
    for _, child in ipairs(children) do
      if child:cancel(msg) then ret = true end
    end
    if ret then cancel_requested = true end
    return ret
  end)
  for _, fut in ipairs(done_futs) do done_callback(fut) end
  return outer
end

--[[
asyncio.shield(aw) -> Future

Port of `tasks.shield`. Returns a future that mirrors `aw` (wrapped in a task
when it is a coroutine object) but whose cancellation does not reach `aw`:
cancelling the task that awaits the shield raises CancelledError there while
`aw` runs on. If `aw` is already done it is returned as is.
--]]
function asyncio.shield(aw)
  local inner = ensure_future(aw, "shield", 1, 2)
  if inner:done() then return inner end
  local outer = asyncio._label(asyncio.Future(), "shield", {inner})

  local function inner_done_callback(inner_)
    if outer:cancelled() then
      if not inner_:cancelled() then inner_:exception() end -- mark retrieved
      return
    end
    if inner_:cancelled() then
      outer:cancel()
    else
      local exc = inner_:exception()
      if exc ~= nil then
        outer:set_exception(exc)
      else
        outer:set_result(inner_:result())
      end
    end
  end

  local function outer_done_callback()
    if not inner:done() then inner:remove_done_callback(inner_done_callback) end
  end

  inner:add_done_callback(inner_done_callback)
  outer:add_done_callback(outer_done_callback)
  return outer
end
