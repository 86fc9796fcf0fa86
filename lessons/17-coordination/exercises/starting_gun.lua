-- Exercise: starting_gun
--
-- race(runners, gun_at) starts one task per runner. No runner may start
-- before the starting gun, fired `gun_at` seconds after the beginning;
-- then all start together and each runs for its own time. Output:
--   3.0 BANG
--   3.0 Ada starts
--   3.0 Bo starts
--   5.0 Bo finishes
--   6.0 Ada finishes
-- for runners { {name="Ada", seconds=3}, {name="Bo", seconds=2} } and gun_at = 3.
-- Use an asyncio.Event.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local run = async(function(runner, gun)
  -- TODO: wait here until the gun has been fired.
  print(now() .. " " .. runner.name .. " starts")
  await(asyncio.sleep(runner.seconds))
  print(now() .. " " .. runner.name .. " finishes")
end)

local race = async(function(runners, gun_at)
  -- TODO: make the gun an asyncio.Event().
  local gun = nil
  local tasks = {}
  for i, runner in ipairs(runners) do
    tasks[i] = asyncio.create_task(run(runner, gun))
  end
  await(asyncio.sleep(gun_at))
  print(now() .. " BANG")
  -- TODO: fire the gun.
  await(asyncio.gather(table.unpack(tasks)))
end)

return { race = race }
