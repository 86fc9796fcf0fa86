-- threads.lua: asyncio.to_thread and asyncio.ThreadPoolExecutor; the loop's
-- run_in_executor and set_default_executor (native: runtime/io/executor.cpp).
--
--   local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
--   local a, b = ... await(asyncio.gather(asyncio.to_thread(fib, 30), asyncio.to_thread(fib, 31)))
--
-- The function runs in a worker thread with a Lua state of its own, so it
-- must be self-contained (no upvalues but _ENV and itself), and its
-- arguments and results are copied (nil, booleans, numbers, strings, tables
-- of those).
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local native = require("asyncio._executor")

asyncio.ThreadPoolExecutor = native.ThreadPoolExecutor

local submit = native.to_thread_submit

--[[
await(asyncio.to_thread(fn, ...)) -> fn's results: runs fn(...) in a worker
thread of the default executor (one thread per core) while the loop goes on.
A coroutine function, as in Python: nothing starts before it is awaited.
Cancelling the awaiting task raises CancelledError there; the call itself
runs to its end in its thread and its result is dropped.
--]]
asyncio.to_thread = async(function(fn, ...)
  return await(submit(fn, ...))
end)
