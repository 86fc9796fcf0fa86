-- gather: results come back in the order you asked, whatever order they finish in.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local cook = async(function(dish, seconds)
  await(asyncio.sleep(seconds))
  print(now(), dish .. " is ready")
  return dish
end)

asyncio.run(async(function()
  local plates = await(asyncio.gather(cook("soup", 3), cook("salad", 1), cook("bread", 2)))
  print(now(), "served " .. plates.n .. " plates:")
  for i = 1, plates.n do
    print(i, plates[i])
  end
end)())
