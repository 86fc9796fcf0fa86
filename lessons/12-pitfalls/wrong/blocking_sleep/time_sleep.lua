-- Wrong: time.sleep blocks the loop
-- Fails: nothing blocks the loop
local read_sensor = async(function(name)
  time.sleep(1)
  return name .. ": 21.5 C"
end)

local read_all = async(function(sensors)
  local coros = {}
  for i, name in ipairs(sensors) do
    coros[i] = read_sensor(name)
  end
  return await(asyncio.gather(table.unpack(coros)))
end)

return { read_all = read_all }
