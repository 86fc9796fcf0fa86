-- Exercise: threads_fib
--
-- fib_all(ns) computes fib(n) for every n in ns and returns the results in
-- the order of ns. As written it computes them one after another on the
-- event loop's own thread: while it runs, no other task gets a turn, and
-- only one core works.
--
-- Make each fib(n) run in a worker thread (asyncio.to_thread), with all of
-- them going at the same time, so that every core helps and the loop stays
-- free. Keep the results in the order of ns.
--
-- Remember what a thread can take: fib is self-contained (it only calls
-- itself), and numbers travel to the thread and back.

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local fib_all = async(function(ns)
  local results = {}
  -- TODO: hand each fib(n) to a thread with asyncio.to_thread, start them
  --       all before waiting for any, and keep the results in order.
  for i, n in ipairs(ns) do
    results[i] = fib(n)
  end
  return results
end)

return { fib_all = fib_all }
