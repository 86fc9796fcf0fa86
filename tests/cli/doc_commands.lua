-- The luasync commands the texts tell people to run, for doc_commands.sh.
-- Usage: luasync doc_commands.lua SOURCE_DIR
-- Reads lessons/*/lesson.md (in the order of lessons/index.lua), README.md
-- and docs/*.md, and prints one line per command:
--   WHERE <TAB> COMMAND <TAB> ORIGIN <TAB> block|inline
-- WHERE is the lesson's directory (the command runs in its examples/ folder
-- of a workspace) or "." (the workspace itself). COMMAND is ready for bash,
-- with the placeholders of a usage line (FILE, NAME, [N]...) filled in.
-- Lines that only look like commands are left out, each for a reason the
-- rules below give: program output ("luasync noticed:"), prose
-- ("luasync --timeline/--trace"), commands that need another machine
-- (/autograder paths, CI variables) or a terminal (the REPL fed by `<`).
local src = assert(arg[1], "usage: doc_commands.lua SOURCE_DIR")

local function read(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local subcommands = { learn = true, grade = true, tour = true, httpbin = true }

-- Fills in a usage line's placeholders; nil when the line is not a command
-- to run here.
local function runnable(cmd, example, inline)
  if inline then
    cmd = cmd:gsub("%s+", " ")
    -- Options named in a sentence ("run it with `luasync --debug`"), not a
    -- command line: nothing but options, and no file to run.
    if cmd:match("^luasync %-") and not cmd:find("%s[^-%s]%S*") then return nil end
  else
    cmd = cmd:gsub("%s+#.*$", "")      -- a shell comment
    cmd = cmd:gsub("  +%S.*$", "")     -- a usage table's description column
  end
  cmd = cmd:gsub("%s+", " "):gsub(" $", "")
  if cmd:find("%.%.%.") or cmd:find("[%$<>|*{}]") then return nil end
  if cmd:find(" /") then return nil end  -- an absolute path of another machine
  local first = cmd:match("^luasync (%S+)")
  if first then
    local option = first:match("^%-%-?[%w-]+=?%S*$") and not first:find("/", 1, true)
    if not (option or subcommands[first] or first:match("%.lua$") or first:match("^[A-Z]+$")) then
      return nil  -- "luasync noticed:", "luasync 0.1.0 (Lua ...)", "luasync tour:"...
    end
  elseif cmd ~= "luasync" then
    return nil
  end
  if cmd == "luasync" or cmd:match("^luasync %[") then return nil end  -- the REPL, with nothing to type
  cmd = cmd:gsub("%[%-%-%w[^%]]*%]", "")                      -- optional options: [--port N]
  cmd = cmd:gsub("%[([A-Z]+)%]", "%1")                        -- [EXERCISE] -> EXERCISE
  local values = {
    FILE = example, NAME = "kitchen", EXERCISE = "kitchen", LESSON = "1", CODE = "'print(1)'",
    DIR = "new-workspace", WORKSPACE = ".", SUBMISSION = "submissions/alice", COMMAND = "list",
    N = "1", H = "127.0.0.1",
  }
  local unknown
  cmd = cmd:gsub("%f[%w]([A-Z]+)%f[^%w]", function(w)
    if values[w] then return values[w] end
    unknown = w
  end)
  if unknown then return nil end
  return (cmd:gsub("%s+", " "):gsub(" $", ""))
end

local out, seen = {}, {}
local function add(where, cmd, origin, example, inline)
  local c = runnable(cmd, example, inline)
  if c and not seen[where .. "\t" .. c] then
    seen[where .. "\t" .. c] = true
    out[#out + 1] = where .. "\t" .. c .. "\t" .. origin .. "\t" .. (inline and "inline" or "block")
  end
end

local function scan(path, where, example)
  local text = read(src .. "/" .. path)
  if not text then return end
  -- Fenced blocks: every line that starts with luasync.
  local prose = text:gsub("```[^\n]*\n(.-)```", function(block)
    for line in block:gmatch("[^\n]+") do
      local cmd = line:match("^%s*%$?%s*(luasync.*)$")
      if cmd then add(where, cmd, path, example) end
    end
    return ""
  end)
  -- Inline code spans that start with luasync.
  for span in prose:gmatch("`(luasync[^`]*)`") do
    add(where, span, path, example, true)
  end
end

local index = assert(load(assert(read(src .. "/lessons/index.lua"))))()
for _, lesson in ipairs(index) do
  -- FILE in a lesson's text: that lesson's first example.
  local p = io.popen("ls '" .. src .. "/lessons/" .. lesson .. "/examples' 2>/dev/null")
  local example = "hello.lua"
  for name in p:lines() do
    if name:match("%.lua$") then example = name; break end
  end
  p:close()
  scan("lessons/" .. lesson .. "/lesson.md", lesson, example)
end
scan("README.md", ".", "hello.lua")
local p = io.popen("ls '" .. src .. "/docs'")
for name in p:lines() do
  if name:match("%.md$") then scan("docs/" .. name, ".", "hello.lua") end
end
p:close()
print(table.concat(out, "\n"))
