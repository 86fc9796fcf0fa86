-- Exercise: all_or_nothing
--
-- A trip needs a flight, a hotel and a car, booked at the same time.
-- If any booking fails, the trip fails, and bookings still in progress
-- must be cancelled right away (no point renting a car for a trip that
-- is off). book_trip returns
--   "trip booked"                 when all three succeed
--   "trip failed: <first error>"  when one fails, as soon as it fails
-- As written, it waits for every booking to end, and books the car
-- (5 s) even though the hotel said no at 2 s.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local book = async(function(what, seconds, problem)
  local ok, err = pcall(await, asyncio.sleep(seconds))
  if not ok then
    print(now() .. " " .. what .. " booking cancelled")
    error(err, 0)
  end
  if problem then
    error(problem, 0)
  end
  print(now() .. " " .. what .. " booked")
end)

local book_trip = async(function(hotel_problem)
  -- TODO: start the three bookings in a TaskGroup instead, and catch the
  --       ExceptionGroup its block raises when one fails:
  --       "trip failed: " .. tostring(eg.exceptions[1])
  local tasks = {
    asyncio.create_task(book("flight", 1)),
    asyncio.create_task(book("hotel", 2, hotel_problem)),
    asyncio.create_task(book("car", 5)),
  }
  local failure
  for _, task in ipairs(tasks) do
    local ok, err = pcall(await, task)
    if not ok and not failure then failure = err end
  end
  if failure then
    return "trip failed: " .. tostring(failure)
  end
  return "trip booked"
end)

return { book_trip = book_trip }
