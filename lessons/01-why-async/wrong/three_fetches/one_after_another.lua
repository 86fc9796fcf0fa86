-- Wrong: the database and the API one after the other
-- Fails: the database and the API wait at the same time
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
  return await(query_database(key)), await(call_api(key))
end)

return { fetch_all = fetch_all }
