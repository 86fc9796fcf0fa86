-- A TaskGroup: the block does not end before every task in it has.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local download = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  print(now(), name .. " downloaded")
  return name .. " (" .. seconds * 10 .. " MB)"
end)

asyncio.run(async(function()
  local a, b, c
  do
    local tg <close> = asyncio.TaskGroup()
    a = tg:create_task(download("maps", 2))
    b = tg:create_task(download("music", 1))
    c = tg:create_task(download("photos", 3))
    print(now(), "three tasks started; the block ends here...")
  end                                   -- ...and waits here for all three
  print(now(), "...and after it, every task is done:")
  print(now(), a:result(), b:result(), c:result())
end)())
