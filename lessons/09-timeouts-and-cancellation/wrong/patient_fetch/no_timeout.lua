-- Wrong: waits for the server without a time limit
-- Fails: a slow server is given up on after 2 s
-- Fails: even a frozen server costs only 2 s
local delays = { fast = 1, slow = 5, frozen = 3600 }

local ask_server = async(function(source)
  await(asyncio.sleep(delays[source]))
  return "fresh news from " .. source
end)

local fetch_news = async(function(source)
  local ok, result = pcall(await, ask_server(source))
  if ok then
    return result
  elseif asyncio.TimeoutError:is(result) then
    return "cached copy of " .. source
  end
  error(result, 0)
end)

return { fetch_news = fetch_news }
