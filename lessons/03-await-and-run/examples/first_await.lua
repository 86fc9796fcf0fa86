-- await pauses main until measure is done, then hands back all its results.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local measure = async(function(city)
  await(asyncio.sleep(1))          -- the weather station is slow
  return 18, "sunny"               -- a coroutine may return several values
end)

local main = async(function()
  print(now(), "asking about Lisbon")
  local degrees, sky = await(measure("Lisbon"))
  print(now(), "Lisbon: " .. degrees .. " C, " .. sky)
  return "report finished", 1
end)

local message, count = asyncio.run(main())   -- ordinary code from here on
print(message, count)
