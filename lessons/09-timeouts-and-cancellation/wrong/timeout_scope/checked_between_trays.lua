-- Wrong: compares the clock with the deadline between trays, so the tray in the oven is not stopped
-- Fails: the deadline cuts the baking short
local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  local loop = asyncio.get_running_loop()
  local start = loop:time()
  for _ = 1, trays do
    if loop:time() - start >= deadline then
      return baked, "out of time"
    end
    await(bake_tray())
    baked = baked + 1
  end
  return baked, "all baked"
end)

return { bake = bake }
