-- Three fetches, each waiting for the previous one to finish.
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
  local a = await(fetch("database", 2))
  local b = await(fetch("api", 3))
  local c = await(fetch("file", 1))
  print(now(), "all done:", a, b, c)
end)())
