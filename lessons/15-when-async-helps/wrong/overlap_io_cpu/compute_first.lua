-- Wrong: computes before starting the feeds
-- Fails: the feeds wait while the statistics are computed
local fetch_feed = async(function(name)
  await(asyncio.sleep(2))
  return name
end)

local function compute_statistics()
  time.sleep(2)                       -- 2 s of computation: no await possible
  return "stats ok"
end

local dashboard = async(function()
  local stats = compute_statistics()
  local feeds = asyncio.gather(fetch_feed("news"), fetch_feed("weather"), fetch_feed("stocks"))
  return table.concat(await(feeds), ","), stats
end)

return { dashboard = dashboard }
