-- Exercise: db_connection
--
-- Make the connection close itself, always:
--   1. give Connection a __close metamethod that prints
--        "<time> closing"   then waits 0.2 s (the goodbye to the server),
--      then prints
--        "<time> closed"
--   2. open the connection in count_users and count_orders with a
--      to-be-closed variable, so it is closed on every way out,
--      including when the query fails.

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

-- TODO: Connection.__close = ...

local connect = async(function()
  await(asyncio.sleep(0.5))
  print(now() .. " connected")
  return setmetatable({}, Connection)
end)

local count_users = async(function()
  -- TODO: make `db` a to-be-closed variable.
  local db = await(connect())
  return await(db:query("SELECT count(*) FROM users"))
end)

local count_orders = async(function()
  -- TODO: make `db` a to-be-closed variable here too.
  local db = await(connect())
  return await(db:query("SELECT count(*) FROM orders"))
end)

return { count_users = count_users, count_orders = count_orders }
