-- An async database connection that always closes, even after an error.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Connection = {}
Connection.__index = Connection

-- A method can be a coroutine function too: db:query(sql) makes a coroutine object.
Connection.query = async(function(self, sql)
  print(now(), "running: " .. sql)
  await(asyncio.sleep(1))
  if sql:find("DROP") then
    error("permission denied", 0)
  end
  return "3 rows"
end)

-- Runs when a `<close>` variable holding the connection goes out of scope.
-- It may await: saying goodbye to the server takes time too.
Connection.__close = function(self, err)
  print(now(), "closing the connection" .. (err and " (after an error)" or ""))
  await(asyncio.sleep(0.2))
  print(now(), "connection closed")
end

local connect = async(function(name)
  print(now(), "connecting to " .. name)
  await(asyncio.sleep(0.5))
  print(now(), "connected")
  return setmetatable({ name = name }, Connection)
end)

local report = async(function(sql)
  local db <close> = await(connect("shop"))
  local rows = await(db:query(sql))
  return rows
end)

asyncio.run(async(function()
  local rows = await(report("SELECT * FROM users"))
  print(now(), "report: " .. rows)

  local ok, err = pcall(await, report("DROP TABLE users"))
  print(now(), "second report failed: " .. err)
end)())
