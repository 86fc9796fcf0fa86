-- Wrong: gather without await: cook returns before anything is cooked
-- Fails: cook returns water, oven and toast, in that order
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
  local done = asyncio.gather(boil_water(), preheat_oven(), toast_bread())
  return done[1], done[2], done[3]
end)

return { cook = cook }
