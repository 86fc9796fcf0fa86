-- Wrong: counts a tray before it is baked, so the cut-off tray counts too
-- Fails: the deadline cuts the baking short
local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  local ok, err = pcall(function()
    local _ <close> = asyncio.timeout(deadline)
    for _ = 1, trays do
      baked = baked + 1
      await(bake_tray())
    end
  end)
  if ok then
    return baked, "all baked"
  elseif asyncio.TimeoutError:is(err) then
    return baked, "out of time"
  end
  error(err, 0)
end)

return { bake = bake }
