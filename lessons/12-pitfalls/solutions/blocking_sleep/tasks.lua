-- Right: one task per sensor, awaited in order
local read_sensor = async(function(name)
  await(asyncio.sleep(1))
  return name .. ": 21.5 C"
end)

local read_all = async(function(sensors)
  local tasks, results = {}, {}
  for i, name in ipairs(sensors) do tasks[i] = asyncio.create_task(read_sensor(name)) end
  for i, task in ipairs(tasks) do results[i] = await(task) end
  return results
end)

return { read_all = read_all }
