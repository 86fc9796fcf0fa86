-- Wrong: after the gun, runs the runners one after another
-- Fails: nobody starts before the gun
-- Fails: the race ends with the slowest runner
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local run = async(function(runner, gun)
  await(gun:wait())
  print(now() .. " " .. runner.name .. " starts")
  await(asyncio.sleep(runner.seconds))
  print(now() .. " " .. runner.name .. " finishes")
end)

local race = async(function(runners, gun_at)
  local gun = asyncio.Event()
  await(asyncio.sleep(gun_at))
  print(now() .. " BANG")
  gun:set()
  for _, runner in ipairs(runners) do
    await(run(runner, gun))
  end
end)

return { race = race }
