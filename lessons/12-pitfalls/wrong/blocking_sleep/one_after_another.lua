-- Wrong: reads the sensors one after another
-- Fails: the sensors are read at the same time
local read_sensor = async(function(name)
  await(asyncio.sleep(1))
  return name .. ": 21.5 C"
end)

local read_all = async(function(sensors)
  local coros = {}
  for i, name in ipairs(sensors) do
    coros[i] = await(read_sensor(name))
  end
  return coros
end)

return { read_all = read_all }
