-- Exercise: gather_fetches
--
-- `fetch_all(sources)` gets a list like
--   { { name = "database", seconds = 2 }, { name = "api", seconds = 3 }, ... }
-- and must return a table with fetch(source) for each source, in the same
-- order as the list. As written it fetches one at a time. Make all the
-- fetches wait at the same time.

local fetch = async(function(source)
  await(asyncio.sleep(source.seconds))
  return source.name .. " data"
end)

local fetch_all = async(function(sources)
  local results = {}
  -- TODO: instead of awaiting each fetch in turn, make all the coroutine
  --       objects first, then run them together with asyncio.gather.
  for i, source in ipairs(sources) do
    results[i] = await(fetch(source))
  end
  return results
end)

return { fetch_all = fetch_all }
