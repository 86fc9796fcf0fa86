-- Wrong: charges the card before the item is reserved
-- Fails: the item is reserved, then the card charged
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local reserve = async(function(item)
  await(asyncio.sleep(1))
  print(now() .. " reserved " .. item)
  return "R-" .. item
end)

local charge = async(function(price)
  await(asyncio.sleep(1))
  print(now() .. " charged " .. price)
  return true
end)

local checkout = async(function(item, price)
  await(charge(price))
  local reservation = await(reserve(item))
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
