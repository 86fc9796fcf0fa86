-- Wrong: charge is called but not awaited, so the card is never charged
-- Fails: no coroutine is left unawaited
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
  local reservation = await(reserve(item))
  charge(price)
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
