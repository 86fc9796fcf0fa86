-- W3 timers: N tasks; task i sleeps (i*7919 % 51) ms and returns that delay in ms; gather;
-- checksum = sum. Mirrors ../../../shared/bench/peers/py-asyncio/w3_timers.py line for line.
local sleeper = async(function(i)
  local ms = i * 7919 % 51
  await(asyncio.sleep(ms / 1000))
  return ms
end)

local main = async(function(n)
  local tasks = {}
  for i = 0, n - 1 do tasks[i + 1] = asyncio.create_task(sleeper(i)) end
  local results = await(asyncio.gather(table.unpack(tasks, 1, n)))
  local sum = 0
  for i = 1, results.n do sum = sum + results[i] end
  return sum
end)

local n = tonumber(arg[1]) or 100000
print(("RESULT timers %d"):format(asyncio.run(main(n))))
