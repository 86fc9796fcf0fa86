-- wait.lua: asyncio.wait and asyncio.as_completed.
--
-- Ports of `wait()` / `_wait()` and of the generator `as_completed()` from
-- CPython's Lib/asyncio/tasks.py (3.11). Python takes an iterable of futures;
-- here it is an array, or a set `{[fut] = true}` such as the two that wait()
-- returns (in no particular order). Coroutine objects in the array are wrapped in tasks
-- (Python 3.11 deprecates and 3.12 forbids that for wait(); we accept it, so
-- the sets `wait` returns then hold those tasks, not the coroutine objects).
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local TimeoutError = asyncio.TimeoutError

asyncio.FIRST_COMPLETED = "FIRST_COMPLETED"
asyncio.FIRST_EXCEPTION = "FIRST_EXCEPTION"
asyncio.ALL_COMPLETED = "ALL_COMPLETED"

local wrap_awaitable = async(function(aw) return await(aw) end)

-- Port of `tasks.ensure_future`; nil for a value that is not awaitable.
local function ensure_future(aw)
  if asyncio.isfuture(aw) then return aw end
  if asyncio.iscoroutine(aw) then return asyncio.create_task(aw) end
  local mt = getmetatable(aw)
  if type(mt) == "table" and mt.__await ~= nil then
    return asyncio.create_task(wrap_awaitable(aw))
  end
  return nil
end

local function is_awaitable(aw)
  local mt = getmetatable(aw)
  return asyncio.isfuture(aw) or asyncio.iscoroutine(aw) or (type(mt) == "table" and mt.__await ~= nil)
end

-- Checks that `aws` is an array or a set of awaitables (not itself a single
-- future or coroutine object) and returns it as an array; `fname` names the
-- function in argument errors.
local function check_awaitables(aws, fname)
  if type(aws) ~= "table" or asyncio.isfuture(aws) or getmetatable(aws) ~= nil then
    error(string.format("bad argument #1 to '%s' (array or set of awaitables expected, got %s)",
      fname, asyncio.isfuture(aws) and "future"
        or asyncio.iscoroutine(aws) and "coroutine" or type(aws)), 3)
  end
  if #aws == 0 and next(aws) ~= nil then
    -- A set {[aw] = true}: its keys.
    local array = {}
    for aw, v in pairs(aws) do
      if not is_awaitable(aw) or v ~= true then
        error(string.format("bad argument #1 to '%s' (array or set of awaitables expected, got a table " ..
          "with key %s = %s)", fname, type(aw), type(v)), 3)
      end
      array[#array + 1] = aw
    end
    return array
  end
  for i = 1, #aws do
    local aw = aws[i]
    local mt = getmetatable(aw)
    if not (asyncio.isfuture(aw) or asyncio.iscoroutine(aw)
            or (type(mt) == "table" and mt.__await ~= nil)) then
      error(string.format("bad argument #1 to '%s' (element %d: awaitable expected, got %s)",
        fname, i, type(aw)), 3)
    end
  end
  return aws
end

-- Turns a checked array of awaitables into an array of distinct futures, in
-- the array's order (starting tasks for coroutine objects).
local function to_futures(aws)
  local futs, seen = {}, {}
  for i = 1, #aws do
    local aw = aws[i]
    if not seen[aw] then
      seen[aw] = true
      futs[#futs + 1] = ensure_future(aw)
    end
  end
  return futs
end

local check_options = asyncio._check_options
local accepted_options = {
  wait = {"return_when", "timeout"},
  as_completed = {"timeout"},
}

-- Checks an options table and returns its `timeout` field.
local function options_timeout(opts, fname)
  if not check_options(opts, fname, accepted_options[fname], 2, 3) then return nil end
  local timeout = opts.timeout
  if timeout ~= nil and type(timeout) ~= "number" then
    error(string.format("bad argument #2 to '%s' (field 'timeout': number expected, got %s)",
      fname, type(timeout)), 3)
  end
  return timeout
end

--[[
asyncio.wait(aws [, {return_when = ..., timeout = t}]) -- coroutine function

Port of `tasks.wait` and `tasks._wait`. Waits until the condition named by
return_when holds (FIRST_COMPLETED, FIRST_EXCEPTION, or ALL_COMPLETED, the
default) or `timeout` seconds have passed, and returns two sets
`done, pending` ({[fut] = true}). Never raises TimeoutError and never cancels
anything; the futures' own errors stay in the futures.
--]]
asyncio.wait = async(function(aws, opts)
  -- Every check comes before the first task is started.
  aws = check_awaitables(aws, "wait")
  if #aws == 0 then error("bad argument #1 to 'wait' (no awaitables: the array or set is empty)", 2) end
  local timeout = options_timeout(opts, "wait")
  local return_when = opts and opts.return_when or asyncio.ALL_COMPLETED
  if return_when ~= asyncio.FIRST_COMPLETED and return_when ~= asyncio.FIRST_EXCEPTION
      and return_when ~= asyncio.ALL_COMPLETED then
    error("bad argument #2 to 'wait' (invalid return_when value: " .. tostring(return_when) .. ")", 2)
  end
  local futs = to_futures(aws)

  local loop = asyncio.get_running_loop()
  local waiter = asyncio._label(loop:create_future(), "wait", futs)
  local timeout_handle = nil
  if timeout ~= nil then
    timeout_handle = loop:call_later(timeout, function()
      if not waiter:done() then waiter:set_result() end
    end)
  end
  local counter = #futs

  local function on_completion(f)
    counter = counter - 1
    if counter <= 0 or return_when == asyncio.FIRST_COMPLETED
        or (return_when == asyncio.FIRST_EXCEPTION
            and not f:cancelled() and f:exception() ~= nil) then
      if timeout_handle ~= nil then timeout_handle:cancel() end
      if not waiter:done() then waiter:set_result() end
    end
  end

  for _, f in ipairs(futs) do f:add_done_callback(on_completion) end
  local ok, err = pcall(await, waiter)
  if timeout_handle ~= nil then timeout_handle:cancel() end
  for _, f in ipairs(futs) do f:remove_done_callback(on_completion) end
  if not ok then error(err, 0) end

  local done, pending = {}, {}
  for _, f in ipairs(futs) do
    if f:done() then done[f] = true else pending[f] = true end
  end
  return done, pending
end)

--[[
asyncio.as_completed(aws [, {timeout = t}]) -> iterator for a generic for

Port of the 3.11 generator `tasks.as_completed`:

  for aw in asyncio.as_completed({t1, t2, t3}) do
    local result = await(aw)   -- the results, in completion order
  end

The loop body runs once per distinct awaitable in `aws`; each value it gets is
a coroutine object whose await returns the result of the next future to finish
(or raises its error), or raises TimeoutError once `timeout` seconds (counted
from the call) have passed. Awaitables already done count as finished in array
order. Nothing is cancelled on timeout.
--]]
function asyncio.as_completed(aws, opts)
  aws = check_awaitables(aws, "as_completed")
  local timeout = options_timeout(opts, "as_completed")
  local futs = to_futures(aws)
  local loop = asyncio.get_running_loop()

  -- Finished futures, in completion order; `false` is the timeout marker
  -- (Python queues None for it). A Queue, as in Python; it is looked up
  -- here, not when this file loads, so the load order does not matter.
  local done = asyncio.Queue()
  local todo, ntodo = {}, #futs
  local timeout_handle = nil

  local on_completion -- forward declaration

  local function on_timeout()
    for f in pairs(todo) do
      f:remove_done_callback(on_completion)
      done:put_nowait(false)
    end
    todo, ntodo = {}, 0
  end

  on_completion = function(f)
    if ntodo == 0 then return end -- on_timeout() was here first
    todo[f] = nil
    ntodo = ntodo - 1
    done:put_nowait(f)
    if ntodo == 0 and timeout_handle ~= nil then timeout_handle:cancel() end
  end

  local wait_for_one = async(function()
    local f = await(done:get())
    if not f then error(TimeoutError(), 0) end
    return f:result()
  end)

  for _, f in ipairs(futs) do
    todo[f] = true
    f:add_done_callback(on_completion)
  end
  if ntodo > 0 and timeout ~= nil then
    timeout_handle = loop:call_later(timeout, on_timeout)
  end

  local remaining = #futs
  return function()
    if remaining == 0 then return nil end
    remaining = remaining - 1
    return wait_for_one()
  end
end
