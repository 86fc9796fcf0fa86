-- Wrong: a new timeout for each tray: no single tray takes that long
-- Fails: the deadline cuts the baking short
local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  local ok, err = pcall(function()
    for _ = 1, trays do
      local _ <close> = asyncio.timeout(deadline)
      await(bake_tray())
      baked = baked + 1
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
