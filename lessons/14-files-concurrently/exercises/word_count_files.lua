-- Exercise: word_count_files
--
-- count_words(dir) walks every file below dir, counts its words, and
-- sends the count to a slow indexing service (1 s per file). It returns
--   a table { [path relative to dir] = words }, and the total of all words.
-- It works, but it handles one file at a time. Make the files be handled
-- at the same time, so that any number of files takes about 1 second.
--
-- `main` (already written) builds a sample tree in your private WORKDIR
-- and runs count_words on it.

local fs = require("asyncio.fs")

-- The slow service (already written).
local index = async(function(path, words)
  await(asyncio.sleep(1))
end)

local count_file = async(function(path)
  local text = await(fs.read_file(path))
  local words = 0
  for _ in text:gmatch("%S+") do words = words + 1 end
  return words
end)

local count_words = async(function(dir)
  local counts, total = {}, 0
  for entry in fs.walk(dir) do
    if entry.type == "file" then
      local relative = entry.path:sub(#dir + 2)
      -- TODO: don't wait for each file here. Collect the files first,
      --       then count and index all of them at the same time
      --       (gather), and fill `counts` and `total` from the results.
      local words = await(count_file(entry.path))
      await(index(relative, words))
      counts[relative] = words
      total = total + words
    end
  end
  return counts, total
end)

-- Already written: no changes needed below.
local sample = {
  ["intro.txt"] = "async lets one thread wait for many things",
  ["chapters/one.txt"] = "coroutines pause and resume",
  ["chapters/two.txt"] = "tasks run on their own",
  ["chapters/drafts/three.txt"] = "gather collects results in order",
}

local runs = 0
local make_sample = async(function()
  local dir
  repeat
    runs = runs + 1
    dir = WORKDIR .. "/sample" .. runs
  until not await(fs.exists(dir))
  await(fs.mkdir(dir))
  await(fs.mkdir(dir .. "/chapters"))
  await(fs.mkdir(dir .. "/chapters/drafts"))
  for path, text in pairs(sample) do
    await(fs.write_file(dir .. "/" .. path, text))
  end
  return dir
end)

local main = async(function()
  local dir = await(make_sample())
  local counts, total = await(count_words(dir))
  local names = {}
  for name in pairs(counts) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do print(name, counts[name]) end
  print("total", total)
  return counts, total
end)

return { count_words = count_words, main = main }
