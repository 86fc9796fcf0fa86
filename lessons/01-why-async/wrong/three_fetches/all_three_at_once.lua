-- Wrong: starts the fetches before the key is known
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
  local all = await(asyncio.gather(read_config(), query_database(nil), call_api(nil)))
  return all[2], all[3]
end)

return { fetch_all = fetch_all }
