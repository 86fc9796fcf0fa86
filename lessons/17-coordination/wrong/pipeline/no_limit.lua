-- Wrong: resizes every photo at once with gather, without a queue or workers
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
  local coros = {}
  for i, photo in ipairs(photos) do
    coros[i] = resize(photo)
  end
  done = await(asyncio.gather(table.unpack(coros)))
  done.n = nil
  table.sort(done)
  return done
end)

return { process_all = process_all }
