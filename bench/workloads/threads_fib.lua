-- threads_fib.lua: two CPU-bound fib(N) calls, three ways (bench/to_thread.sh).
--
--   luasync bench/workloads/threads_fib.lua MODE [N=32]
--   MODE  direct    fib(N) twice on the loop's thread, one after the other
--         sequence  await(to_thread(fib, N)) twice, one after the other
--         parallel  both to_thread calls at once (gather): two worker threads
--
-- Prints "RESULT threads_fib MODE <checksum> <seconds>", the seconds taken by
-- the two calls alone (time.monotonic around them; start-up excluded).
local mode = arg[1] or "parallel"
local n = tonumber(arg[2] or 32)

local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end

local main = async(function()
  local t0 = time.monotonic()
  local a, b
  if mode == "direct" then
    a, b = fib(n), fib(n)
  elseif mode == "sequence" then
    a = await(asyncio.to_thread(fib, n))
    b = await(asyncio.to_thread(fib, n))
  elseif mode == "parallel" then
    local r = await(asyncio.gather(asyncio.to_thread(fib, n), asyncio.to_thread(fib, n)))
    a, b = r[1], r[2]
  else
    error("usage: threads_fib.lua direct|sequence|parallel [N]")
  end
  return a + b, time.monotonic() - t0
end)

local sum, secs = asyncio.run(main())
print(string.format("RESULT threads_fib %s %d %.4f", mode, sum, secs))
