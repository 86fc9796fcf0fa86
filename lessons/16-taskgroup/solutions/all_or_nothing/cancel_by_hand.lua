-- Right: tasks, and the others cancelled by hand when one fails
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
    local tasks = { asyncio.create_task(book("flight", 1)), asyncio.create_task(book("hotel", 2, hotel_problem)),
      asyncio.create_task(book("car", 5)) }
    local ok2, e = pcall(await, asyncio.gather(table.unpack(tasks)))
    if not ok2 then
      for _, task in ipairs(tasks) do task:cancel() end
      for _, task in ipairs(tasks) do pcall(await, task) end
      error(e, 0)
    end
  end)
  if ok then
    return "trip booked"
  elseif not asyncio.CancelledError:is(err) then
    return "trip failed: " .. tostring(err)
  end
  error(err, 0)
end)

return { book_trip = book_trip }
