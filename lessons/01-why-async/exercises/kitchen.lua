-- Exercise: kitchen
--
-- Dinner needs three appliances. Each one does its work on its own:
-- you only have to start it and come back when it is done.
--
-- Right now `cook` waits for the water to boil before it even switches on
-- the oven, so dinner takes 3 + 2 + 1 = 6 seconds. Make it take 3.

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
  -- TODO: start all three at the same time instead of one after another.
  --       Keep returning the results in this order: water, oven, toast.
  local water = await(boil_water())
  local oven = await(preheat_oven())
  local toast = await(toast_bread())
  return water, oven, toast
end)

return { cook = cook }
