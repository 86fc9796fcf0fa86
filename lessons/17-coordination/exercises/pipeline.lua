-- Exercise: pipeline
--
-- process_all(photos, workers) resizes every photo (1 s each) using a
-- pool of `workers` worker tasks that take photos from a queue. It
-- returns the resized names, sorted. As written, main resizes every
-- photo itself, one after another.
-- With 6 photos and 2 workers it must take 3 seconds; with 3 workers, 2.

local resize = async(function(photo)
  await(asyncio.sleep(1))
  return photo .. " (small)"
end)

local worker = async(function(queue, done)
  -- TODO: forever: take a photo from the queue, resize it, add the result
  --       to `done`, and tell the queue this photo is handled (task_done).
end)

local process_all = async(function(photos, workers)
  local queue = asyncio.Queue()
  local done = {}
  -- TODO: put every photo in the queue, start `workers` worker tasks,
  --       wait until the queue has been worked off (join), then cancel
  --       the workers. Remove the loop below.
  for _, photo in ipairs(photos) do
    local small = await(resize(photo))
    done[#done + 1] = small
  end
  table.sort(done)
  return done
end)

return { process_all = process_all }
