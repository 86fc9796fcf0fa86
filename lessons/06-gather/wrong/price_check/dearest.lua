-- Wrong: compares the wrong way round and finds the dearest shop
-- Fails: finds the cheapest open shop
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
  for i = 1, prices.n do                     -- not ipairs: a closed shop leaves a hole
    local price = prices[i]
    if price and (best_price == nil or price > best_price) then
      best_shop, best_price = shops[i], price
    end
  end
  return best_shop, best_price
end)

return { cheapest = cheapest }
