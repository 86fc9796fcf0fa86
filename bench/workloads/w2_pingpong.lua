-- W2 pingpong: two tasks, two unbounded queues, M round trips (2*M messages); checksum = M.
-- Mirrors ../../../shared/bench/peers/py-asyncio/w2_pingpong.py line for line.
local ping = async(function(qa, qb, m)
  local count = 0
  for i = 0, m - 1 do
    await(qa:put(i))
    local v = await(qb:get())
    if v ~= i then error(("ping: expected %d, got %s"):format(i, tostring(v))) end
    count = count + 1
  end
  return count
end)

local pong = async(function(qa, qb, m)
  for _ = 1, m do
    local v = await(qa:get())
    await(qb:put(v))
  end
end)

local main = async(function(m)
  local qa, qb = asyncio.Queue(), asyncio.Queue()
  local res = await(asyncio.gather(ping(qa, qb, m), pong(qa, qb, m)))
  return res[1]
end)

local m = tonumber(arg[1]) or 200000
print(("RESULT pingpong %d"):format(asyncio.run(main(m))))
