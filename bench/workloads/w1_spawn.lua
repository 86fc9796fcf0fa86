-- W1 spawn: create N tasks; each awaits sleep(0) once and returns its index; gather; checksum = sum.
-- Mirrors ../../../shared/bench/peers/py-asyncio/w1_spawn.py line for line.
local work = async(function(i)
  await(asyncio.sleep(0))
  return i
end)

local main = async(function(n)
  local tasks = {}
  for i = 0, n - 1 do tasks[i + 1] = asyncio.create_task(work(i)) end
  local results = await(asyncio.gather(table.unpack(tasks, 1, n)))
  local sum = 0
  for i = 1, results.n do sum = sum + results[i] end
  return sum
end)

local n = tonumber(arg[1]) or 100000
print(("RESULT spawn %d"):format(asyncio.run(main(n))))
