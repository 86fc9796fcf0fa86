-- Wrong: awaits each appliance in turn (the starter's way)
-- Fails: the appliances work at the same time
local boil_water = async(function()
  await(asyncio.sleep(3))
  return "boiled water"
end)

local preheat_oven = async(function()
  await(asyncio.sleep(2))
  return "hot oven"
end)

local toast_bread = async(function()
  await(asyncio.sleep(1))
  return "toast"
end)

local cook = async(function()
  -- gather starts all three together and waits for the slowest (3 s).
  return await(boil_water()), await(preheat_oven()), await(toast_bread())
end)

return { cook = cook }
