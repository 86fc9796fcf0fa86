-- Long computations: give the loop a turn between chunks.
local sum_of_squares = async(function(n, chunk)
  local total = 0
  for start = 1, n, chunk do
    for i = start, math.min(start + chunk - 1, n) do
      total = total + i * i
    end
    print("summed up to " .. math.min(start + chunk - 1, n))
    await(asyncio.sleep(0))         -- let others run before the next chunk
  end
  return total
end)

local chat = async(function(messages)
  for _, m in ipairs(messages) do
    print("  chat: " .. m)
    await(asyncio.sleep(0))
  end
end)

asyncio.run(async(function()
  local r = await(asyncio.gather(sum_of_squares(300000, 100000), chat({ "hi", "still there?", "yes!" })))
  print("total = " .. r[1])
end)())
