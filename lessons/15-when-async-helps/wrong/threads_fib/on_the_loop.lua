-- Wrong: computes every fib on the loop's own thread
-- Fails: every fib runs in a thread
-- Fails: the threads compute at the same time
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local fib_all = async(function(ns)
  local results = {}
  for i, n in ipairs(ns) do
    results[i] = fib(n)
  end
  return results
end)

return { fib_all = fib_all }
