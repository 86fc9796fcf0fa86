-- A chain of steps: each one needs the result of the one before.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local check_stock = async(function(item)
  await(asyncio.sleep(0.5))
  print(now(), "in stock: " .. item)
  return { item = item, price = 12 }
end)

local charge_card = async(function(order)
  await(asyncio.sleep(1))
  print(now(), "charged " .. order.price .. " euros")
  return "receipt-" .. order.price
end)

local ship = async(function(order, receipt)
  await(asyncio.sleep(1.5))
  print(now(), "shipped " .. order.item .. " with " .. receipt)
  return "TRACK-001"
end)

local buy = async(function(item)
  local order = await(check_stock(item))
  local receipt = await(charge_card(order))
  local tracking = await(ship(order, receipt))
  return tracking
end)

asyncio.run(async(function()
  local tracking = await(buy("teapot"))
  print(now(), "tracking number " .. tracking)
end)())
