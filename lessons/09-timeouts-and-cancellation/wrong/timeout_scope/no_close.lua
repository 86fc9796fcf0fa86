-- Wrong: the timeout is a plain local, not <close>: it is never entered, so it never fires
-- Fails: the deadline cuts the baking short
local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  local ok, err = pcall(function()
    local scope = asyncio.timeout(deadline)
    for _ = 1, trays do
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
