-- wait_for: give up on something that takes too long.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local query = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name .. ": 3 rows"
end)

asyncio.run(async(function()
  local rows = await(asyncio.wait_for(query("quick query", 1), 2))
  print(now(), rows)

  local ok, err = pcall(await, asyncio.wait_for(query("slow query", 10), 2))
  if not ok and asyncio.TimeoutError:is(err) then
    print(now(), "gave up on the slow query: " .. tostring(err))
  end
end)())
