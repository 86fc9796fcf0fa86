-- A coroutine object that nobody awaits never runs.
local send = async(function(to)
  print("letter sent to " .. to)
  return true
end)

asyncio.run(async(function()
  send("Ada")            -- oops: makes a coroutine object and drops it
  await(send("Grace"))   -- this one really runs
  print("main is done")
end)())
