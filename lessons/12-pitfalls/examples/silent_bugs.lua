-- Forgetting await: the work silently does not happen.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local save = async(function(doc)
  await(asyncio.sleep(1))
  print(now(), "saved " .. doc)
  return true
end)

asyncio.run(async(function()
  local result = save("draft.txt")            -- forgot await: nothing is saved
  print(now(), "save returned a " .. type(result) .. ", not true")

  asyncio.sleep(1)                            -- forgot await: no pause at all
  print(now(), "after the 'pause'")

  result = await(save("final.txt"))           -- this one is right
  print(now(), "save returned " .. tostring(result))
end)())
