-- Wrong: awaits measure three times, once for each value
-- Fails: the station is asked only once
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
  local degrees = await(measure(city))
  local _, wind = await(measure(city))
  local _, _, sky = await(measure(city))
  return string.format("%s: %d C, wind %s km/h, %s", city, degrees, tostring(wind), tostring(sky))
end)

return { forecast = forecast }
