-- Wrong: gathers every download, then reports: every line at 3.0, in the list's order
-- Fails: a progress line appears the moment each download finishes
-- Fails: the names come back in finishing order
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
  local names = await(asyncio.gather(table.unpack(coros)))
  for _, name in ipairs(names) do
    finished[#finished + 1] = name
    print(string.format("%s %s done (%d/%d)", now(), name, #finished, #files))
  end
  return finished
end)

return { download_all = download_all }
