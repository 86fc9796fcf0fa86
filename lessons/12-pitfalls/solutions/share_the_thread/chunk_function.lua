-- Right: each chunk in a plain function, the turn given back in a while loop
local function chunk_sum()
  local sum = 0
  for i = 1, 5000 do
    sum = sum + i % 7
  end
  return sum
end

local crunch = async(function(chunks)
  local total, c = 0, 0
  while c < chunks do
    c = c + 1
    total = total + chunk_sum()
    print(("chunk %d done"):format(c))
    await(asyncio.sleep(0))        -- let the spinner have its turn
  end
  return total
end)

local spinner = async(function(state)
  while not state.done do
    print("  (spinner)")
    await(asyncio.sleep(0))
  end
end)

-- Already written: no changes needed below.
local work = async(function(chunks)
  local state = { done = false }
  local spin = asyncio.create_task(spinner(state))
  local total = await(crunch(chunks))
  state.done = true
  await(spin)
  return total
end)

return { crunch = crunch, work = work }
