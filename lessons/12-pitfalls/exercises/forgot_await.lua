-- Exercise: forgot_await
--
-- checkout(item, price) should reserve the item (1 s), then charge the
-- card (1 s), then return "order <reservation>", e.g. "order R-lamp".
-- It runs without an error, but look at what it returns, at what it
-- prints, and at the warnings on stderr.

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
  -- TODO: two coroutines below are made but never run. Fix both lines.
  local reservation = reserve(item)
  charge(price)
  return "order " .. tostring(reservation)
end)

return { checkout = checkout }
