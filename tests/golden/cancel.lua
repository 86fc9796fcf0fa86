-- A task cancelled while it sleeps: "stuck" would sleep 10 s, main gives up
-- on it after 2 s.
local slow = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name
end)

local main = async(function()
  local fast = asyncio.create_task(slow("fast", 1), "fast")
  local stuck = asyncio.create_task(slow("stuck", 10), "stuck")
  print("fast returned " .. await(fast))
  await(asyncio.sleep(1))
  stuck:cancel()
  local ok, err = pcall(await, stuck)
  print("stuck: " .. tostring(err))
end)

asyncio.run(main())
