-- Wrong: returns summarize's coroutine object instead of awaiting it
-- Fails: report(7) summarizes Ada's orders
-- Fails: the three steps run in order
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
  local user = await(fetch_user(id))
  local orders = await(fetch_orders(user))
  return summarize(user, orders)
end)

return { report = report }
