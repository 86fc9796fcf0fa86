-- Exercise: share_the_thread
--
-- `crunch` does a long computation in chunks, while a spinner task should
-- show that the program is alive. The output should alternate:
--   chunk 1 done
--     (spinner)
--   chunk 2 done
--     (spinner)
--   chunk 3 done
--     (spinner)
-- but the spinner never gets a turn until all the work is over.
-- Only crunch needs a change; `work` is already written.

local crunch = async(function(chunks)
  local total = 0
  for c = 1, chunks do
    for i = 1, 5000 do
      total = total + i % 7
    end
    print("chunk " .. c .. " done")
    -- TODO: give the other tasks a turn before the next chunk.
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
