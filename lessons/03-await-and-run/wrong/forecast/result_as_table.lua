-- Wrong: takes await's result for a table, as a Python tuple would be
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
  local reading = await(measure(city))
  local degrees, wind, sky = reading[1], reading[2], reading[3]
  return string.format("%s: %d C, wind %s km/h, %s", city, degrees, tostring(wind), tostring(sky))
end)

return { forecast = forecast }
