-- Right: one task per source, awaited in list order
local fetch = async(function(source)
  await(asyncio.sleep(source.seconds))
  return source.name .. " data"
end)

local fetch_all = async(function(sources)
  local tasks, results = {}, {}
  for i, source in ipairs(sources) do tasks[i] = asyncio.create_task(fetch(source)) end
  for i = 1, #tasks do results[i] = await(tasks[i]) end
  return results
end)

return { fetch_all = fetch_all }
