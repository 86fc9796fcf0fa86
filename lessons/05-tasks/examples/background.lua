-- A task runs on its own while main does something else.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local download = async(function(file, seconds)
  print(now(), "download of " .. file .. " starts")
  await(asyncio.sleep(seconds))
  print(now(), "download of " .. file .. " finished")
  return file .. " (" .. seconds * 100 .. " MB)"
end)

asyncio.run(async(function()
  local task = asyncio.create_task(download("film.mkv", 3), "film")
  print(now(), "created task '" .. task:get_name() .. "', done: " .. tostring(task:done()))

  print(now(), "making tea while it downloads")
  await(asyncio.sleep(2))
  print(now(), "tea is ready, download done: " .. tostring(task:done()))

  local file = await(task)   -- wait for the rest of the download
  print(now(), "got " .. file .. ", done: " .. tostring(task:done()))
  print(now(), "task:result() says " .. task:result())
end)())
