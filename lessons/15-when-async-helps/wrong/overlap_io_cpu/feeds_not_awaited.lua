-- Wrong: never awaits the gathered feeds
-- Fails: the dashboard has every feed and the statistics
local fetch_feed = async(function(name)
  await(asyncio.sleep(2))
  return name
end)

local function compute_statistics()
  time.sleep(2)                       -- 2 s of computation: no await possible
  return "stats ok"
end

local dashboard = async(function()
  local feeds = asyncio.gather(fetch_feed("news"), fetch_feed("weather"), fetch_feed("stocks"))
  await(asyncio.sleep(0))             -- let the feed tasks start waiting
  local stats = compute_statistics()  -- the feeds wait meanwhile
  return table.concat(feeds, ","), stats
end)

return { dashboard = dashboard }
