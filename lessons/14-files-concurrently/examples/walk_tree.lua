-- Make a small tree of files, then walk it.
local fs = require("asyncio.fs")

local files = {
  ["README.txt"] = "A tiny project.\n",
  ["src/main.lua"] = "print('hello')\nprint('bye')\n",
  ["src/util/strings.lua"] = "return {}\n",
  ["notes.md"] = "# Notes\n\nNothing yet.\n",
}

local make_tree = async(function(root)
  await(fs.mkdir(root))
  await(fs.mkdir(root .. "/src"))
  await(fs.mkdir(root .. "/src/util"))
  for path, text in pairs(files) do
    await(fs.write_file(root .. "/" .. path, text))
  end
end)

local remove_tree = async(function(root)
  local entries = {}
  for entry in fs.walk(root) do entries[#entries + 1] = entry end
  for i = #entries, 1, -1 do           -- contents before their directory
    local e = entries[i]
    await(e.type == "directory" and fs.rmdir(e.path) or fs.unlink(e.path))
  end
  await(fs.rmdir(root))
end)

asyncio.run(async(function()
  local root = os.tmpname()           -- a fresh name in the temp directory
  os.remove(root)
  await(make_tree(root))

  for entry in fs.walk(root) do       -- each step of this for loop may await
    local relative = entry.path:sub(#root + 2)
    local indent = string.rep("  ", entry.depth - 1)
    if entry.type == "file" then
      local info = await(fs.stat(entry.path))
      print(indent .. relative .. " (" .. info.size .. " bytes)")
    else
      print(indent .. relative .. "/")
    end
  end

  await(remove_tree(root))
end)())
