-- Wrong: reserve is called but not awaited: reservation is a coroutine object
-- Fails: no coroutine is left unawaited
-- Fails: checkout returns the reservation
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
  local reservation = reserve(item)
  await(charge(price))
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
