-- Wrong: the weather first, then the users
-- Fails: fetch_all returns the users and the weather for the key
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
  -- The key must come first: both fetches need it.
  local key = await(read_config())
  -- The two fetches only need the key, so they can overlap: 1 + max(2, 3) = 4 s.
  local both = await(asyncio.gather(query_database(key), call_api(key)))
  return both[2], both[1]
end)

return { fetch_all = fetch_all }
