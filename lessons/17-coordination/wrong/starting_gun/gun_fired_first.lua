-- Wrong: sets the event before the sleep, so the runners start at 0.0
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
  local tasks = {}
  for i, runner in ipairs(runners) do
    tasks[i] = asyncio.create_task(run(runner, gun))
  end
  gun:set()
  await(asyncio.sleep(gun_at))
  print(now() .. " BANG")
  await(asyncio.gather(table.unpack(tasks)))
end)

return { race = race }
