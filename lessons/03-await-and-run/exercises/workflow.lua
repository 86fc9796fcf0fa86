-- Exercise: workflow
--
-- A shop report needs three steps, each using the result of the one
-- before it:
--   fetch_user(id)               -> a user table      (1 s)
--   fetch_orders(user)           -> a list of items   (2 s)
--   summarize(user, orders)      -> a string          (0.5 s)
-- Write `report(id)` so that it returns the summary, e.g.
--   "Ada ordered 2 items: book, lamp"

local users = { [7] = "Ada", [8] = "Grace" }
local orders_by_user = { [7] = { "book", "lamp" }, [8] = { "compiler", "kettle", "scarf" } }

local fetch_user = async(function(id)
  await(asyncio.sleep(1))
  return { id = id, name = users[id] }
end)

local fetch_orders = async(function(user)
  await(asyncio.sleep(2))
  return orders_by_user[user.id]
end)

local summarize = async(function(user, orders)
  await(asyncio.sleep(0.5))
  return string.format("%s ordered %d items: %s", user.name, #orders, table.concat(orders, ", "))
end)

local report = async(function(id)
  -- TODO: await fetch_user(id), then fetch_orders(user), then
  --       summarize(user, orders), and return the summary.
  return "not written yet"
end)

return { report = report }
