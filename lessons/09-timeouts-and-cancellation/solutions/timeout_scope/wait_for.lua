-- Right: asyncio.wait_for around a coroutine that bakes every tray
local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  local bake_all = async(function()
    for _ = 1, trays do
      await(bake_tray())
      baked = baked + 1
    end
  end)
  local ok, err = pcall(await, asyncio.wait_for(bake_all(), deadline))
  if ok then
    return baked, "all baked"
  elseif asyncio.TimeoutError:is(err) then
    return baked, "out of time"
  end
  error(err, 0)
end)

return { bake = bake }
