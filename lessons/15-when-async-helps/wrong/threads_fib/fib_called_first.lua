-- Wrong: to_thread(fib(n)): fib runs on the loop, and to_thread gets its number
-- Fails: the results are right, in the order of ns
-- Fails: every fib runs in a thread
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local fib_all = async(function(ns)
  local calls = {}
  for i, n in ipairs(ns) do
    calls[i] = asyncio.to_thread(fib(n))   -- a coroutine object: nothing runs yet
  end
  -- gather starts every call (each in its own task, each task hands its
  -- call to a thread) before it waits for any, and keeps the order.
  local results = await(asyncio.gather(table.unpack(calls)))
  results.n = nil
  return results
end)

return { fib_all = fib_all }
