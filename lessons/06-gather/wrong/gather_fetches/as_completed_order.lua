-- Wrong: collects the results in the order they finish
-- Fails: results come back in the order of the list
local fetch = async(function(source)
  await(asyncio.sleep(source.seconds))
  return source.name .. " data"
end)

local fetch_all = async(function(sources)
  local coros = {}
  for i, source in ipairs(sources) do
    coros[i] = fetch(source)
  end
  local results = {}
  for aw in asyncio.as_completed(coros) do results[#results + 1] = await(aw) end
  return results
end)

return { fetch_all = fetch_all }
