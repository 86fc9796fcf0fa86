-- Right: three tasks started first, then awaited one by one
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
  local water = asyncio.create_task(boil_water())
  local oven = asyncio.create_task(preheat_oven())
  local toast = asyncio.create_task(toast_bread())
  return await(water), await(oven), await(toast)
end)

return { cook = cook }
