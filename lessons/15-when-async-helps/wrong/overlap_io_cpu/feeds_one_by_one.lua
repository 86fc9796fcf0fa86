-- Wrong: computes, then fetches the feeds one after another
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
  local feeds = {}
  for _, name in ipairs({ "news", "weather", "stocks" }) do
    feeds[#feeds + 1] = await(fetch_feed(name))
  end
  return table.concat(feeds, ","), stats
end)

return { dashboard = dashboard }
