-- Wrong: reports the ExceptionGroup itself instead of the hotel's error
-- Fails: a failed hotel fails the trip at once
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
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(book("flight", 1))
    tg:create_task(book("hotel", 2, hotel_problem))
    tg:create_task(book("car", 5))
  end)
  if ok then
    return "trip booked"
  elseif asyncio.ExceptionGroup:is(err) then
    return "trip failed: " .. tostring(err)
  end
  error(err, 0)
end)

return { book_trip = book_trip }
