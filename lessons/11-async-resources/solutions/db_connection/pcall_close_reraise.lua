-- Right: one helper: pcall around the query, close, then raise the error again
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

local with_connection = async(function(sql)
  local db = await(connect())
  local ok, result = pcall(await, db:query(sql))
  Connection.__close(db, not ok and result or nil)
  if not ok then error(result, 0) end
  return result
end)

local count_users = async(function()
  return await(with_connection("SELECT count(*) FROM users"))
end)

local count_orders = async(function()
  return await(with_connection("SELECT count(*) FROM orders"))
end)

return { count_users = count_users, count_orders = count_orders }
