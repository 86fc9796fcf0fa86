-- Exercise: blocking_sleep
--
-- read_all(sensors) reads every sensor at the same time with gather.
-- Each sensor needs 1 second to answer, so all of them together should
-- take 1 second. They take as many seconds as there are sensors. Why?

local read_sensor = async(function(name)
  -- TODO: this wait blocks the whole loop, so no other sensor can be
  --       read meanwhile. Wait without blocking.
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
