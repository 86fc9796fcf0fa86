-- Wrong: awaits a worker instead of starting workers as tasks: it never returns
-- Fails: every photo is resized
-- Fails: two workers share six photos
local resize = async(function(photo)
  await(asyncio.sleep(1))
  return photo .. " (small)"
end)

local worker = async(function(queue, done)
  while true do
    local photo = await(queue:get())
    local small = await(resize(photo))
    done[#done + 1] = small             -- after the await: see the check's note
    queue:task_done()
  end
end)

local process_all = async(function(photos, workers)
  local queue = asyncio.Queue()
  local done = {}
  for _, photo in ipairs(photos) do
    queue:put_nowait(photo)
  end
  local tasks = {}
  await(worker(queue, done))
  await(queue:join())
  for _, task in ipairs(tasks) do
    task:cancel()
  end
  table.sort(done)
  return done
end)

return { process_all = process_all }
