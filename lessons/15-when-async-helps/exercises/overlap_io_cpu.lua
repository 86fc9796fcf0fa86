-- Exercise: overlap_io_cpu
--
-- A dashboard needs three feeds from the network (2 s of waiting each)
-- and a statistics computation (2 s of pure computation, played here by
-- time.sleep, which holds the thread like real computing does).
-- As written, the computation runs first and the feeds are only asked
-- afterwards: 4 seconds. The computation cannot get faster, but the
-- feeds can wait WHILE it runs. Make `dashboard` take 2 seconds.
-- It must still return: feeds joined with ",", then the statistics.

local fetch_feed = async(function(name)
  await(asyncio.sleep(2))
  return name
end)

local function compute_statistics()
  time.sleep(2)                       -- 2 s of computation: no await possible
  return "stats ok"
end

local dashboard = async(function()
  -- TODO: get the three feeds waiting before the computation starts,
  --       and collect them after it.
  local stats = compute_statistics()
  local feeds = await(asyncio.gather(fetch_feed("news"), fetch_feed("weather"), fetch_feed("stocks")))
  return table.concat(feeds, ","), stats
end)

return { dashboard = dashboard }
