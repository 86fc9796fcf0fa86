-- Right: packs every value await gives back with table.pack
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
  local v = table.pack(await(measure(city)))
  return string.format("%s: %d C, wind %s km/h, %s", city, v[1], tostring(v[2]), tostring(v[3]))
end)

return { forecast = forecast }
