-- Wrong: books one thing after another
-- Fails: a trip with no problems is booked
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
  local ok, err = pcall(function()
    await(book("flight", 1))
    await(book("hotel", 2, hotel_problem))
    await(book("car", 5))
  end)
  if ok then
    return "trip booked"
  elseif asyncio.ExceptionGroup:is(err) then
    return "trip failed: " .. tostring(err.exceptions[1])
  end
  error(err, 0)
end)

return { book_trip = book_trip }
