-- Wrong: walks gather's result with ipairs, which stops at the closed shop's nil
-- Fails: a closed shop does not hide the shops after it
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
  local coros = {}
  for i, shop in ipairs(shops) do
    coros[i] = ask_price(shop)
  end
  local prices = await(asyncio.gather(table.unpack(coros)))

  local best_shop, best_price
  for i, price in ipairs(prices) do
    if price and (best_price == nil or price < best_price) then
      best_shop, best_price = shops[i], price
    end
  end
  return best_shop, best_price
end)

return { cheapest = cheapest }
