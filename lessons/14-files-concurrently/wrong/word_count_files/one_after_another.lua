-- Wrong: handles the files one after another
-- Fails: the files are handled at the same time
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
  -- Walking is quick: collect the files first.
  local paths = {}
  for entry in fs.walk(dir) do
    if entry.type == "file" then
      paths[#paths + 1] = entry.path
    end
  end

  local handle = async(function(path)
    local relative = path:sub(#dir + 2)
    local words = await(count_file(path))
    await(index(relative, words))
    return relative, words
  end)

  local counts, total = {}, 0
  for _, path in ipairs(paths) do
    local relative, words = await(handle(path))
    counts[relative] = words
    total = total + words
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
