-- Right: an asyncio.timeout scope instead of wait_for
local delays = { fast = 1, slow = 5, frozen = 3600 }

local ask_server = async(function(source)
  await(asyncio.sleep(delays[source]))
  return "fresh news from " .. source
end)

local fetch_news = async(function(source)
  local ok, result = pcall(function()
    local scope <close> = asyncio.timeout(2)
    return await(ask_server(source))
  end)
  if ok then
    return result
  elseif asyncio.TimeoutError:is(result) then
    return "cached copy of " .. source
  end
  error(result, 0)
end)

return { fetch_news = fetch_news }
