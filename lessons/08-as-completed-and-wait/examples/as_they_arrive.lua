-- as_completed: handle each result the moment it is ready.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local download = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name, seconds * 100
end)

asyncio.run(async(function()
  local jobs = { download("map.png", 3), download("notes.txt", 1), download("song.ogg", 2) }
  local count = 0
  for next_done in asyncio.as_completed(jobs) do
    local name, kb = await(next_done)    -- already finished (or about to): no extra wait
    count = count + 1
    print(now(), string.format("%d/%d %s (%d kB)", count, #jobs, name, kb))
  end
  print(now(), "all downloads handled")
end)())
