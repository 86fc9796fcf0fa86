-- Wrong: reserves and charges at the same time
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
  local both = await(asyncio.gather(reserve(item), charge(price)))
  local reservation = both[1]
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
