-- Exercise: forecast
--
-- The weather station answers with three values at once:
-- degrees, wind speed and sky. Make `forecast(city)` return one line like
--   "Oslo: 4 C, wind 30 km/h, snow"
-- asking the station only once (it takes 1 s per question).

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
  -- TODO: await hands back every value measure returns. Keep all three.
  local degrees = await(measure(city))
  local wind, sky
  return string.format("%s: %d C, wind %s km/h, %s", city, degrees, tostring(wind), tostring(sky))
end)

return { forecast = forecast }
