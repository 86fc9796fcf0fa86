-- Exercise: three_fetches
--
-- A report needs an API key from a config file (1 s). With that key it
-- asks a database for users (2 s) and a web API for the weather (3 s).
--
-- As written, everything happens in a row: 1 + 2 + 3 = 6 seconds.
-- The database and the API both need the key, but they do not need each
-- other. Make `fetch_all` take 4 seconds.

local read_config = async(function()
  await(asyncio.sleep(1))
  return "key-42"
end)

local query_database = async(function(key)
  await(asyncio.sleep(2))
  return "users for " .. key
end)

local call_api = async(function(key)
  await(asyncio.sleep(3))
  return "weather for " .. key
end)

local fetch_all = async(function()
  local key = await(read_config())
  -- TODO: the two fetches below do not depend on each other.
  --       Let them wait at the same time, and still return users, weather.
  local users = await(query_database(key))
  local weather = await(call_api(key))
  return users, weather
end)

return { fetch_all = fetch_all }
