-- Right: asyncio.wait with FIRST_COMPLETED in a loop over a set of tasks
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local download = async(function(file)
  await(asyncio.sleep(file.seconds))
  return file.name
end)

local download_all = async(function(files)
  local pending = {}
  for _, file in ipairs(files) do
    pending[asyncio.create_task(download(file))] = true
  end
  local finished = {}
  while next(pending) do
    local done
    done, pending = await(asyncio.wait(pending, { return_when = "FIRST_COMPLETED" }))
    for task in pairs(done) do
      finished[#finished + 1] = task:result()
      print(string.format("%s %s done (%d/%d)", now(), task:result(), #finished, #files))
    end
  end
  return finished
end)

return { download_all = download_all }
