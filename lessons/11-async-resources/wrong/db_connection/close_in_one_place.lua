-- Wrong: the to-be-closed variable only in count_users: count_orders never closes
-- Fails: the connection is closed after a failed query, too
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Connection = {}
Connection.__index = Connection

Connection.query = async(function(self, sql)
  await(asyncio.sleep(1))
  if sql:find("orders") then
    error("table orders is locked", 0)
  end
  return 42
end)

Connection.__close = function(self, err)
  print(now() .. " closing")
  await(asyncio.sleep(0.2))
  print(now() .. " closed")
end

local connect = async(function()
  await(asyncio.sleep(0.5))
  print(now() .. " connected")
  return setmetatable({}, Connection)
end)

local count_users = async(function()
  local db <close> = await(connect())
  return await(db:query("SELECT count(*) FROM users"))
end)

local count_orders = async(function()
  local db = await(connect())
  return await(db:query("SELECT count(*) FROM orders"))
end)

return { count_users = count_users, count_orders = count_orders }
