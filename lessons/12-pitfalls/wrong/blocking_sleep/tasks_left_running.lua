-- Wrong: starts a task per sensor but returns before they are done
-- Fails: every sensor is read
local read_sensor = async(function(name)
  await(asyncio.sleep(1))
  return name .. ": 21.5 C"
end)

local read_all = async(function(sensors)
  local coros = {}
  for i, name in ipairs(sensors) do
    coros[i] = read_sensor(name)
  end
  local tasks = {}
  for i, c in ipairs(coros) do tasks[i] = asyncio.create_task(c) end
  return tasks
end)

return { read_all = read_all }
