-- Wrong: always waits the full 2 s, even when the server answers in 1
-- Fails: a fast server's news is fresh
local delays = { fast = 1, slow = 5, frozen = 3600 }

local ask_server = async(function(source)
  await(asyncio.sleep(delays[source]))
  return "fresh news from " .. source
end)

local fetch_news = async(function(source)
  local task = asyncio.create_task(ask_server(source))
  await(asyncio.sleep(2))
  if not task:done() then task:cancel() end
  local ok, result = pcall(await, task)
  if not ok and asyncio.CancelledError:is(result) and not asyncio.current_task():cancelling() then
    return "cached copy of " .. source
  end
  if ok then
    return result
  elseif asyncio.TimeoutError:is(result) then
    return "cached copy of " .. source
  end
  error(result, 0)
end)

return { fetch_news = fetch_news }
