-- Exercise: price_check
--
-- Ask every shop for the price of a kettle, all at once, and return the
-- name and price of the cheapest shop. A shop that is closed answers nil:
-- skip it. Each shop takes its own time to answer (up to 3 s).

local answers = {
  north  = { seconds = 2, price = 31 },
  east   = { seconds = 3, price = 27 },
  corner = { seconds = 1, price = nil },   -- closed today
  south  = { seconds = 1, price = 29 },
  market = { seconds = 2, price = 24 },
}

local ask_price = async(function(shop)
  await(asyncio.sleep(answers[shop].seconds))
  return answers[shop].price
end)

local cheapest = async(function(shops)
  -- TODO: ask all shops at the same time with asyncio.gather.
  -- TODO: go through every answer (some may be nil!) and keep the lowest.
  local best_shop, best_price
  for _, shop in ipairs(shops) do
    local price = await(ask_price(shop))
    if price and (best_price == nil or price < best_price) then
      best_shop, best_price = shop, price
    end
  end
  return best_shop, best_price
end)

return { cheapest = cheapest }
