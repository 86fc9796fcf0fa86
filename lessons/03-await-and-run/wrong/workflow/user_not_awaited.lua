-- Wrong: passes fetch_user's coroutine object on instead of the user
-- Fails: report(7) summarizes Ada's orders
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
  local user = fetch_user(id)
  local orders = await(fetch_orders(user))
  return await(summarize(user, orders))
end)

return { report = report }
