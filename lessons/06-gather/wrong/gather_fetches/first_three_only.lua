-- Wrong: gathers exactly three fetches, whatever the length of the list
-- Fails: works for a longer list too
local fetch = async(function(source)
  await(asyncio.sleep(source.seconds))
  return source.name .. " data"
end)

local fetch_all = async(function(sources)
  local coros = {}
  for i, source in ipairs(sources) do
    coros[i] = fetch(source)
  end
  for i = 4, #coros do asyncio.create_task(coros[i]):cancel() end
  return await(asyncio.gather(coros[1], coros[2], coros[3]))
end)

return { fetch_all = fetch_all }
