-- Count the words of every file and upload each count: one by one, then all at once.
local fs = require("asyncio.fs")

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local texts = {
  "the quick brown fox",
  "jumps over",
  "the lazy dog",
  "and runs away",
  "into the woods at night",
}

-- Stands in for a slow web service that stores each result (1 s per call).
local upload = async(function(name, words)
  await(asyncio.sleep(1))
end)

local process = async(function(path)
  local text = await(fs.read_file(path))
  local words = 0
  for _ in text:gmatch("%S+") do words = words + 1 end
  await(upload(path, words))
  return words
end)

asyncio.run(async(function()
  local root = os.tmpname()
  os.remove(root)
  await(fs.mkdir(root))
  for i, text in ipairs(texts) do
    await(fs.write_file(string.format("%s/part%d.txt", root, i), text))
  end

  -- Collect the paths first: walking is quick, processing is slow.
  local paths = {}
  for entry in fs.walk(root) do
    if entry.type == "file" then paths[#paths + 1] = entry.path end
  end

  local start = asyncio.get_running_loop():time()
  local total = 0
  for _, path in ipairs(paths) do
    total = total + await(process(path))
  end
  print(now(), string.format("one by one:  %d words in %d files, %.1f s", total, #paths,
    asyncio.get_running_loop():time() - start))

  start = asyncio.get_running_loop():time()
  local coros = {}
  for i, path in ipairs(paths) do coros[i] = process(path) end
  local counts = await(asyncio.gather(table.unpack(coros)))
  total = 0
  for i = 1, counts.n do total = total + counts[i] end
  print(now(), string.format("all at once: %d words in %d files, %.1f s", total, #paths,
    asyncio.get_running_loop():time() - start))

  for _, path in ipairs(paths) do await(fs.unlink(path)) end
  await(fs.rmdir(root))
end)())
