-- The runnable examples of docs/api.md: every ```lua block whose first line
-- is `-- example: NAMES` is a whole program. Each runs in its own luasync
-- (--virtual-time, as the file example.lua) and must exit 0 and print
-- exactly its `--> ` lines. The
-- names added to the API after the first version must each have one.
local T = require("testlib")

local luasync = arg[-1]
if luasync:sub(1, 1) ~= "/" then luasync = os.getenv("PWD") .. "/" .. luasync end -- (they run elsewhere)

-- Names that must each appear in some example's `-- example:` line.
local required = {
  "ContextVar", "copy_context", "Queue:shutdown", "QueueShutDown", "Barrier", "wait", "add_signal_handler",
  "remove_signal_handler", "signal", "ensure_future", "to_thread", "run_in_executor",
  "ThreadPoolExecutor", "get_stack", "print_stack", "Runner",
}

local function examples()
  local f = assert(io.open("../../docs/api.md"))
  local text = f:read("a")
  f:close()
  local list = {}
  for indent, body in text:gmatch("\n([ ]*)```lua\n(.-)\n[ ]*```") do
    local lines = {}
    for line in (body .. "\n"):gmatch("(.-)\n") do
      if line:sub(1, #indent) == indent then line = line:sub(#indent + 1) end
      lines[#lines + 1] = line
    end
    local names = lines[1] and lines[1]:match("^%-%- example: (.*)$")
    if names then
      local expected = {}
      for _, line in ipairs(lines) do
        local out = line:match("^%-%-> ?(.*)$")
        if out then expected[#expected + 1] = out end
      end
      list[#list + 1] = {names = names, code = table.concat(lines, "\n"), expected = expected}
    end
  end
  return list
end

local all = examples()

T.test("the docs have the examples", function()
  T.ok(#all >= 4, "found " .. #all .. " examples")
  local have = {}
  for _, ex in ipairs(all) do
    for name in ex.names:gmatch("[^,%s]+") do have[name] = true end
  end
  local missing = {}
  for _, name in ipairs(required) do
    if not have[name] then missing[#missing + 1] = name end
  end
  T.eq(missing, {}, "names without a runnable example in docs/api.md")
end)

for _, ex in ipairs(all) do
  T.test("example: " .. ex.names, function()
    -- Run as a file named example.lua (which messages and tracebacks name).
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    local f = assert(io.open(dir .. "/example.lua", "w"))
    f:write(ex.code)
    f:close()
    local proc = await(asyncio.create_subprocess_exec(luasync, "--virtual-time", "example.lua",
      {stdout = "pipe", stderr = "pipe", cwd = dir}))
    local out, err = await(proc:communicate())
    os.remove(dir .. "/example.lua")
    os.remove(dir)
    T.eq(proc.returncode, 0, "exit status (stderr: " .. err .. ")")
    local want = #ex.expected > 0 and (table.concat(ex.expected, "\n") .. "\n") or ""
    T.eq(out, want, "output of the example")
  end)
end

-- The table of Python's names: every asyncio.X, loop:X and task:X named as a
-- luasync counterpart exists.
T.test("the Python name table names what exists", function()
  local f = assert(io.open("../../docs/api.md"))
  local text = f:read("a")
  f:close()
  local section = text:match("\n## Python's asyncio, name by name\n(.*)$")
  T.ok(section ~= nil, "docs/api.md has the table")
  local loop = asyncio.get_running_loop()
  local task = asyncio.create_task(asyncio.sleep(0))
  local checked, missing = 0, {}
  for row in section:gmatch("\n|([^\n]*)|") do
    local cells = {}
    for cell in (row .. "|"):gmatch("([^|]*)|") do cells[#cells + 1] = cell end
    local luasync_cell = cells[2] or ""
    for name in luasync_cell:gmatch("`([^`]+)`") do
      local where, field = name:match("^(%a+)[.:]([%w_]+)$")
      local ok = true
      if where == "asyncio" then
        ok = asyncio[field] ~= nil
      elseif where == "loop" then
        ok = type(loop[field]) == "function"
      elseif where == "task" then
        ok = type(task[field]) == "function"
      else
        where = nil
      end
      if where then
        checked = checked + 1
        if not ok then missing[#missing + 1] = name end
      end
    end
  end
  await(task)
  T.ok(checked > 60, "names checked: " .. checked)
  T.eq(missing, {}, "named in the table but missing")
end)

T.done()
