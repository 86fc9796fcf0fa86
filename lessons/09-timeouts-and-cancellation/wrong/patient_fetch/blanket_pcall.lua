-- Wrong: every error becomes the cached copy, an unknown source and a cancellation too
-- Fails: only a timeout gives the cached copy: other errors go through
-- Fails: a cancelled fetch stops
local delays = { fast = 1, slow = 5, frozen = 3600 }

local ask_server = async(function(source)
  await(asyncio.sleep(delays[source]))
  return "fresh news from " .. source
end)

local fetch_news = async(function(source)
  local ok, result = pcall(await, asyncio.wait_for(ask_server(source), 2))
  if ok then
    return result
  end
  return "cached copy of " .. source
end)

return { fetch_news = fetch_news }
