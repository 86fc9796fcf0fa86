-- Wrong: downloads the files one after another, in the list's order
-- Fails: a progress line appears the moment each download finishes
-- Fails: the names come back in finishing order
-- Fails: the downloads run at the same time
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local download = async(function(file)
  await(asyncio.sleep(file.seconds))
  return file.name
end)

local download_all = async(function(files)
  local coros = {}
  for i, file in ipairs(files) do
    coros[i] = download(file)
  end
  local finished = {}
  for _, coro in ipairs(coros) do
    local name = await(coro)
    finished[#finished + 1] = name
    print(string.format("%s %s done (%d/%d)", now(), name, #finished, #files))
  end
  return finished
end)

return { download_all = download_all }
