-- Wrong: awaits each fetch in turn
-- Fails: the three fetches of 2, 3 and 1 s take 3 s
local fetch = async(function(source)
  await(asyncio.sleep(source.seconds))
  return source.name .. " data"
end)

local fetch_all = async(function(sources)
  local coros = {}
  for i, source in ipairs(sources) do
    coros[i] = await(fetch(source))
  end
  return coros
end)

return { fetch_all = fetch_all }
