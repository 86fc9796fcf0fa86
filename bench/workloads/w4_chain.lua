-- W4 chain: chain(d) awaits chain(d-1) down to 0 and returns depth; main awaits chain(D) K times;
-- checksum = K*D. Mirrors ../../../shared/bench/peers/py-asyncio/w4_chain.py line for line.
local chain
chain = async(function(d)
  if d == 0 then return 0 end
  return await(chain(d - 1)) + 1
end)

local main = async(function(k, d)
  local total = 0
  for _ = 1, k do
    total = total + await(chain(d))
  end
  return total
end)

local k = tonumber(arg[1]) or 20000
local d = tonumber(arg[2]) or 50
print(("RESULT chain %d"):format(asyncio.run(main(k, d))))
