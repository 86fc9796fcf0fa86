-- Wrong: wraps the one call in gather, whose table keeps only each coroutine's first value
-- Fails: forecast uses all three readings
local readings = {
  Oslo = { 4, 30, "snow" },
  Lima = { 22, 10, "cloudy" },
}

local measure = async(function(city)
  await(asyncio.sleep(1))
  local r = readings[city]
  return r[1], r[2], r[3]
end)

local forecast = async(function(city)
  local results = await(asyncio.gather(measure(city)))
  local degrees, wind, sky = table.unpack(results)
  return string.format("%s: %d C, wind %s km/h, %s", city, degrees, tostring(wind), tostring(sky))
end)

return { forecast = forecast }
