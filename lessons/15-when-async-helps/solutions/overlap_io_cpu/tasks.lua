-- Right: three tasks, a turn for them, the computation, then each task awaited
local fetch_feed = async(function(name)
  await(asyncio.sleep(2))
  return name
end)

local function compute_statistics()
  time.sleep(2)                       -- 2 s of computation: no await possible
  return "stats ok"
end

local dashboard = async(function()
  local tasks = {}
  for i, name in ipairs({ "news", "weather", "stocks" }) do
    tasks[i] = asyncio.create_task(fetch_feed(name))
  end
  await(asyncio.sleep(0))
  local stats = compute_statistics()
  local names = {}
  for i, task in ipairs(tasks) do
    names[i] = await(task)
  end
  return table.concat(names, ","), stats
end)

return { dashboard = dashboard }
