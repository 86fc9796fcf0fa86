-- Right: the reservation as a task, awaited before the charge
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
  local reserving = asyncio.create_task(reserve(item))
  local reservation = await(reserving)
  await(charge(price))
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
