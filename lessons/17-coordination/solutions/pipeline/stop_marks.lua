-- Right: one stop mark per worker after the photos; the workers end on it and are gathered
local resize = async(function(photo)
  await(asyncio.sleep(1))
  return photo .. " (small)"
end)

local worker = async(function(queue, done)
  while true do
    local photo = await(queue:get())
    if photo == false then return end   -- the stop mark
    local small = await(resize(photo))
    table.insert(done, small)
  end
end)

local process_all = async(function(photos, workers)
  local queue = asyncio.Queue()
  local done = {}
  for _, photo in ipairs(photos) do
    queue:put_nowait(photo)
  end
  local crew = {}
  for i = 1, workers do
    queue:put_nowait(false)
    crew[i] = worker(queue, done)
  end
  await(asyncio.gather(table.unpack(crew)))
  table.sort(done)
  return done
end)

return { process_all = process_all }
