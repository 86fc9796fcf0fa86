-- The same three fetches, all waiting at the same time.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local fetch = async(function(source, seconds)
  print(now(), "asking the " .. source)
  await(asyncio.sleep(seconds))         -- stands in for a slow network
  print(now(), "answer from the " .. source)
  return source .. " data"
end)

asyncio.run(async(function()
  local results = await(asyncio.gather(
    fetch("database", 2),
    fetch("api", 3),
    fetch("file", 1)
  ))
  print(now(), "all done:", results[1], results[2], results[3])
end)())
