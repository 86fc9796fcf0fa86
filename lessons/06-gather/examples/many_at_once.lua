-- The same five downloads: a loop of awaits, then one gather.
local files = {
  { name = "a.txt", seconds = 1 },
  { name = "b.txt", seconds = 2 },
  { name = "c.txt", seconds = 1 },
  { name = "d.txt", seconds = 3 },
  { name = "e.txt", seconds = 2 },
}

local download = async(function(file)
  await(asyncio.sleep(file.seconds))
  return file.name
end)

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()

  local start = loop:time()
  local got = {}
  for i, file in ipairs(files) do
    got[i] = await(download(file))       -- one at a time
  end
  print(string.format("one by one: %s in %.1f s", table.concat(got, " "), loop:time() - start))

  start = loop:time()
  local coros = {}
  for i, file in ipairs(files) do
    coros[i] = download(file)            -- only make the coroutine objects...
  end
  local all = await(asyncio.gather(table.unpack(coros)))   -- ...and run them together
  print(string.format("gathered:   %s in %.1f s", table.concat(all, " "), loop:time() - start))
end)())
