-- Wrong: returns the gather future without awaiting it
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
  return asyncio.gather(table.unpack(coros))
end)

return { fetch_all = fetch_all }
