-- Exercise: patient_fetch
--
-- `fetch_news(source)` asks a news server, which may be very slow.
-- Nobody waits more than 2 seconds for the news: if the server has not
-- answered by then, return "cached copy of <source>" instead.

local delays = { fast = 1, slow = 5, frozen = 3600 }

local ask_server = async(function(source)
  await(asyncio.sleep(delays[source]))
  return "fresh news from " .. source
end)

local fetch_news = async(function(source)
  -- TODO: give ask_server(source) at most 2 seconds (asyncio.wait_for).
  --       On a TimeoutError, return "cached copy of " .. source.
  --       Any other error should still be raised.
  return await(ask_server(source))
end)

return { fetch_news = fetch_news }
