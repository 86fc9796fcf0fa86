-- Wrong: yields once, after all the chunks: the spinner waits for the whole computation
-- Fails: the spinner runs between the chunks
local crunch = async(function(chunks)
  local total = 0
  for c = 1, chunks do
    for i = 1, 5000 do
      total = total + i % 7
    end
    print("chunk " .. c .. " done")
  end
  await(asyncio.sleep(0))
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
