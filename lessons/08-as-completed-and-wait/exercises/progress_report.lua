-- Exercise: progress_report
--
-- `download_all(files)` downloads every file at the same time and prints a
-- progress line the moment each one finishes, for example
--   1.0 notes.txt done (1/3)
--   2.0 song.ogg done (2/3)
--   3.0 map.png done (3/3)
-- It returns the names in the order they finished.
-- As written, nothing is printed until every download is over.

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
  -- TODO: instead of gathering (which waits for all of them), loop over
  --       asyncio.as_completed(coros) and report each one as it finishes.
  local all = await(asyncio.gather(table.unpack(coros)))
  for i = 1, all.n do
    finished[#finished + 1] = all[i]
    print(string.format("%s %s done (%d/%d)", now(), all[i], #finished, #files))
  end
  return finished
end)

return { download_all = download_all }
