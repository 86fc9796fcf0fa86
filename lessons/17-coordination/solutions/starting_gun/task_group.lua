-- Right: the runners in a TaskGroup, the gun fired inside its block
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
  local tg <close> = asyncio.TaskGroup()
  for _, runner in ipairs(runners) do
    tg:create_task(run(runner, gun))
  end
  await(asyncio.sleep(gun_at))
  print(now() .. " BANG")
  gun:set()
  -- leaving the block waits for every runner
end)

return { race = race }
