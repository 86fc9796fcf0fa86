-- Wrong: calls gun:wait() without await, which does not wait
-- Fails: nobody starts before the gun
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local run = async(function(runner, gun)
  gun:wait()
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
  await(asyncio.sleep(gun_at))
  print(now() .. " BANG")
  gun:set()
  await(asyncio.gather(table.unpack(tasks)))
end)

return { race = race }
