-- Right: a task per to_thread call, then each awaited in order
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local fib_all = async(function(ns)
  local tasks = {}
  for i, n in ipairs(ns) do
    tasks[i] = asyncio.create_task(asyncio.to_thread(fib, n))
  end
  local results = {}
  for i, task in ipairs(tasks) do
    results[i] = await(task)
  end
  return results
end)

return { fib_all = fib_all }
