-- Tests for require("asyncio.fs") (runtime/io/fs.cpp, runtime/io/lua/modules/fs.lua),
-- on the virtual clock. Each test works in its own temporary directory.
local T = require("testlib")
local fs = require("asyncio.fs")

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  return out
end

local function tempdir()
  local dir = sh("mktemp -d /tmp/luasync-fs-XXXXXX"):gsub("%s+$", "")
  assert(dir:match("^/tmp/luasync%-fs%-"), dir)
  return setmetatable({path = dir}, {__close = function(d) os.execute("rm -rf '" .. d.path .. "'") end})
end

local function write_sync(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local function read_sync(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

local function open_fds()
  local n = 0
  for _ in sh("ls /proc/self/fd"):gmatch("%d+") do n = n + 1 end
  return n
end

local fds_at_start = open_fds()

T.test("write_file and read_file round trip, binary and empty", function()
  local d <close> = tempdir()
  local bytes = {}
  for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
  local data = table.concat(bytes):rep(1000)
  await(fs.write_file(d.path .. "/bin", data))
  T.eq(read_sync(d.path .. "/bin"), data)
  T.eq(await(fs.read_file(d.path .. "/bin")), data)
  await(fs.write_file(d.path .. "/empty", ""))
  T.eq(await(fs.read_file(d.path .. "/empty")), "")
  await(fs.write_file(d.path .. "/bin", "shorter")) -- truncates
  T.eq(await(fs.read_file(d.path .. "/bin")), "shorter")
  local big = string.rep("x", 5 * 1024 * 1024 + 17)
  await(fs.write_file(d.path .. "/big", big))
  T.eq(await(fs.read_file(d.path .. "/big")), big)
  -- A file whose size stat does not know (0): read until EOF all the same.
  T.eq((await(fs.stat("/proc/self/status"))).size, 0)
  local status = await(fs.read_file("/proc/self/status"))
  T.ok(status:match("^Name:") and status:match("\nPid:%s+%d+\n"), status:sub(1, 80))
end)

T.test("atomic write_file replaces the file and leaves no temp file", function()
  local d <close> = tempdir()
  local path = d.path .. "/config.txt"
  write_sync(path, "old")
  os.execute("chmod 600 '" .. path .. "'")
  await(fs.write_file(path, "new content", {atomic = true}))
  T.eq(read_sync(path), "new content")
  T.eq((await(fs.stat(path))).mode, tonumber("600", 8), "the mode is kept")
  local names = {}
  for _, e in ipairs(await(fs.scandir(d.path))) do names[#names + 1] = e.name end
  T.eq(names, {"config.txt"})
  await(fs.write_file(d.path .. "/fresh", "x", {atomic = true}))
  T.eq(read_sync(d.path .. "/fresh"), "x")
  local umask = tonumber(sh("sh -c umask"), 8)
  T.eq((await(fs.stat(d.path .. "/fresh"))).mode, tonumber("666", 8) & ~umask, "a new file gets the usual mode")
end)

T.test("a failed atomic write leaves the old file and no temp file", function()
  local d <close> = tempdir()
  os.execute("mkdir '" .. d.path .. "/target'")
  local err = T.raises(asyncio.OSError, function()
    return await(fs.write_file(d.path .. "/target", "data", {atomic = true}))
  end)
  T.eq(err.code, "EISDIR")
  T.eq(sh("ls -A '" .. d.path .. "'"), "target\n")
end)

T.test("stat, lstat and scandir", function()
  local d <close> = tempdir()
  write_sync(d.path .. "/b.txt", "12345")
  os.execute("mkdir '" .. d.path .. "/a_dir' && ln -s b.txt '" .. d.path .. "/c_link' && mkfifo '" .. d.path .. "/d_fifo'")
  local st = await(fs.stat(d.path .. "/b.txt"))
  T.eq(st.type, "file")
  T.eq(st.size, 5)
  T.eq(math.type(st.mode), "integer")
  T.ok(math.abs(st.mtime - os.time()) < 60, "mtime in seconds")
  T.eq((await(fs.stat(d.path))).type, "directory")
  T.eq((await(fs.stat(d.path .. "/c_link"))).type, "file", "stat follows links")
  T.eq((await(fs.lstat(d.path .. "/c_link"))).type, "link")
  local list = await(fs.scandir(d.path))
  T.eq(list, {
    {name = "a_dir", type = "directory"},
    {name = "b.txt", type = "file"},
    {name = "c_link", type = "link"},
    {name = "d_fifo", type = "fifo"},
  })
  T.eq(await(fs.exists(d.path .. "/b.txt")), true)
  T.eq(await(fs.exists(d.path .. "/nope")), false)
  T.eq(await(fs.exists(d.path .. "/b.txt/nope")), false)
end)

T.test("mkdir, rename, unlink, rmdir", function()
  local d <close> = tempdir()
  await(fs.mkdir(d.path .. "/sub"))
  await(fs.write_file(d.path .. "/sub/f", "x"))
  await(fs.rename(d.path .. "/sub/f", d.path .. "/sub/g"))
  T.eq(read_sync(d.path .. "/sub/g"), "x")
  await(fs.unlink(d.path .. "/sub/g"))
  await(fs.rmdir(d.path .. "/sub"))
  T.eq(sh("ls -A '" .. d.path .. "'"), "")
  local err = T.raises(asyncio.OSError, function() return await(fs.rename(d.path .. "/a", d.path .. "/b")) end)
  T.eq(tostring(err), "ENOENT: no such file or directory: " .. d.path .. "/a -> " .. d.path .. "/b")
  err = T.raises(asyncio.OSError, function() return await(fs.mkdir(d.path)) end)
  T.eq(err.code, "EEXIST")
end)

T.test("a missing file is a clear, catchable error value", function()
  local ok, err = pcall(await, fs.read_file("/x/y"))
  T.eq(ok, false)
  T.ok(asyncio.OSError:is(err))
  T.ok(asyncio.Error:is(err))
  T.eq(tostring(err), "ENOENT: no such file or directory: /x/y")
  T.eq(err.code, "ENOENT")
  T.eq(err.errno, 2)
  T.eq(err.path, "/x/y")
  T.raises(asyncio.OSError, function() return await(fs.stat("/x/y")) end)
  T.raises(asyncio.OSError, function() return await(fs.scandir("/x/y")) end)
  T.raises(asyncio.OSError, function() return await(fs.open("/x/y")) end)
end)

T.test("errors that happen even to root: ENOTDIR, EISDIR", function()
  local d <close> = tempdir()
  write_sync(d.path .. "/file", "x")
  local err = T.raises(asyncio.OSError, function() return await(fs.write_file(d.path .. "/file/sub", "y")) end)
  T.eq(err.code, "ENOTDIR")
  T.eq(tostring(err), "ENOTDIR: not a directory: " .. d.path .. "/file/sub")
  err = T.raises(asyncio.OSError, function()
    return await(fs.write_file(d.path .. "/file/sub", "y", {atomic = true}))
  end)
  T.eq(err.code, "ENOTDIR")
  err = T.raises(asyncio.OSError, function() return await(fs.read_file(d.path)) end)
  T.eq(err.code, "EISDIR")
  err = T.raises(asyncio.OSError, function() return await(fs.open(d.path, "w")) end)
  T.eq(err.code, "EISDIR")
  err = T.raises(asyncio.OSError, function() return await(fs.scandir(d.path .. "/file")) end)
  T.eq(err.code, "ENOTDIR")
end)

-- Generates dirs x subdirs x files files under root; returns the paths in
-- the order walk must give them (depth first, names in strcmp order).
local function make_tree(root, ndirs, nsub, nfiles)
  local expected = {}
  local mk = {}
  for i = 1, ndirs do
    local di = ("d%02d"):format(i)
    expected[#expected + 1] = {path = di, type = "directory", depth = 1}
    for j = 1, nsub do
      local sj = di .. ("/s%02d"):format(j)
      mk[#mk + 1] = root .. "/" .. sj
      expected[#expected + 1] = {path = sj, type = "directory", depth = 2}
      for k = 1, nfiles do
        expected[#expected + 1] = {path = sj .. ("/f%03d.txt"):format(k), type = "file", depth = 3}
      end
    end
  end
  assert(os.execute("mkdir -p '" .. table.concat(mk, "' '") .. "'"))
  for _, e in ipairs(expected) do
    if e.type == "file" then write_sync(root .. "/" .. e.path, e.path) end
  end
  write_sync(root .. "/top.txt", "top")
  expected[#expected + 1] = {path = "top.txt", type = "file", depth = 1}
  return expected
end

T.test("walk over 10,000 files matches a synchronous listing", function()
  local d <close> = tempdir()
  local expected = make_tree(d.path, 10, 10, 100)
  local got, files = {}, 0
  for entry in fs.walk(d.path) do
    T.eq(entry.error, nil)
    T.eq(entry.path, d.path .. "/" .. entry.path:sub(#d.path + 2))
    T.eq(entry.name, entry.path:match("[^/]+$"))
    got[#got + 1] = {path = entry.path:sub(#d.path + 2), type = entry.type, depth = entry.depth}
    if entry.type == "file" then files = files + 1 end
  end
  T.eq(files, 10001)
  T.eq(#got, #expected)
  for i = 1, #expected do T.eq(got[i], expected[i], "entry " .. i) end
  -- The same set as find(1) lists.
  local listed = {}
  for line in sh("cd '" .. d.path .. "' && find . -mindepth 1 -printf '%P %y\\n' | sort"):gmatch("[^\n]+") do
    listed[#listed + 1] = line
  end
  local mine = {}
  for i, e in ipairs(got) do mine[i] = e.path .. " " .. (e.type == "directory" and "d" or "f") end
  table.sort(mine)
  T.eq(#mine, #listed)
  for i = 1, #listed do T.eq(mine[i], listed[i]) end
end)

T.test("walk reports errors per entry and goes on", function()
  local d <close> = tempdir()
  os.execute("mkdir -p '" .. d.path .. "/a/x' '" .. d.path .. "/b/y' '" .. d.path .. "/c'")
  write_sync(d.path .. "/c/z", "z")
  local seen = {}
  for entry in fs.walk(d.path) do
    local rel = entry.path:sub(#d.path + 2)
    seen[#seen + 1] = rel .. (entry.error and (" " .. entry.error.code) or "")
    -- "b" was listed with the root; remove it before the walk gets there.
    if rel == "a" then os.execute("rm -rf '" .. d.path .. "/b'") end
  end
  T.eq(seen, {"a", "a/x", "b ENOENT", "c", "c/z"})
  local entries = {}
  for entry in fs.walk(d.path .. "/missing") do entries[#entries + 1] = entry end
  T.eq(#entries, 1)
  T.eq(entries[1].depth, 0)
  T.eq(entries[1].name, "missing")
  T.eq(entries[1].error.code, "ENOENT")
end)

T.test("walk can be cancelled and broken out of", function()
  local d <close> = tempdir()
  make_tree(d.path, 3, 3, 10)
  local n = 0
  for _ in fs.walk(d.path) do
    n = n + 1
    if n == 5 then break end
  end
  T.eq(n, 5)
  local task = asyncio.create_task(async(function()
    for _ in fs.walk(d.path) do await(asyncio.sleep(1)) end
  end)())
  await(asyncio.sleep(2.5))
  task:cancel()
  T.raises(asyncio.CancelledError, function() return await(task) end)
end)

T.test("open, read formats, lines and write", function()
  local d <close> = tempdir()
  local path = d.path .. "/text"
  do
    local f <close> = await(fs.open(path, "w"))
    await(f:write("first line\n", "second line\n"))
    await(f:write(3, "rd\n"))
    await(f:write("no newline"))
  end
  T.eq(read_sync(path), "first line\nsecond line\n3rd\nno newline")
  local f <close> = await(fs.open(path))
  T.ok(tostring(f):find(path, 1, true))
  T.eq(await(f:read(5)), "first")
  T.eq(await(f:read()), " line")
  T.eq(await(f:read("L")), "second line\n")
  T.eq(await(f:read("l")), "3rd")
  T.eq(await(f:read("a")), "no newline")
  T.eq(await(f:read("a")), "")
  T.eq(await(f:read()), nil)
  T.eq(await(f:read(1)), nil)
  await(f:close())
  await(f:close())
  T.raises("attempt to use a closed file", function() return f:read() end)
  local lines = {}
  for line in fs.lines(path) do lines[#lines + 1] = line end
  T.eq(lines, {"first line", "second line", "3rd", "no newline"})
  local g <close> = await(fs.open(path, "r"))
  lines = {}
  for line in g:lines("L") do lines[#lines + 1] = line end
  T.eq(lines[1], "first line\n")
end)

T.test("lines of a big file, append and read-write modes", function()
  local d <close> = tempdir()
  local path = d.path .. "/many"
  local parts = {}
  for i = 1, 100000 do parts[i] = "line " .. i end
  write_sync(path, table.concat(parts, "\n") .. "\n")
  local n = 0
  for line in fs.lines(path) do
    n = n + 1
    if line ~= parts[n] then T.eq(line, parts[n]) end
  end
  T.eq(n, 100000)
  do
    local f <close> = await(fs.open(path, "a"))
    await(f:write("appended\n"))
  end
  T.eq(read_sync(path):sub(-21), "line 100000\nappended\n")
  write_sync(path, "0123456789")
  do
    local f <close> = await(fs.open(path, "r+"))
    T.eq(await(f:read(4)), "0123")
    await(f:write("ab"))
    T.eq(await(f:read(2)), "67")
  end
  T.eq(read_sync(path), "0123ab6789")
end)

T.test("operations on one file run in order even when not awaited one by one", function()
  local d <close> = tempdir()
  local f <close> = await(fs.open(d.path .. "/ordered", "w+"))
  local writes = {}
  for i = 1, 100 do writes[i] = f:write(i, "\n") end
  await(asyncio.gather(table.unpack(writes)))
  T.eq(read_sync(d.path .. "/ordered"):sub(1, 8), "1\n2\n3\n4\n")
end)

T.test("cancelled reads release the file", function()
  local d <close> = tempdir()
  local path = d.path .. "/big"
  write_sync(path, string.rep("y", 20 * 1024 * 1024))
  local before = open_fds()
  for _ = 1, 5 do
    local t = asyncio.create_task(async(function() return await(fs.read_file(path)) end)())
    await(asyncio.sleep(0))
    t:cancel()
    T.raises(asyncio.CancelledError, function() return await(t) end)
  end
  local task = asyncio.create_task(async(function()
    local f <close> = await(fs.open(path))
    while true do
      if await(f:read(1000)) == nil then break end
      await(asyncio.sleep(1))
    end
  end)())
  await(asyncio.sleep(3.5))
  task:cancel()
  T.raises(asyncio.CancelledError, function() return await(task) end)
  await(asyncio.sleep(0.1))
  T.eq(open_fds(), before, "no descriptor left open")
end)

T.test("many files read at once", function()
  local d <close> = tempdir()
  for i = 1, 200 do write_sync(d.path .. "/" .. i, tostring(i):rep(i)) end
  local reads = {}
  for i = 1, 200 do reads[i] = fs.read_file(d.path .. "/" .. i) end
  local all = await(asyncio.gather(table.unpack(reads)))
  for i = 1, 200 do T.eq(all[i], tostring(i):rep(i)) end
end)

T.test("argument errors are raised at once", function()
  T.raises("bad argument #1 to 'read_file'", function() return fs.read_file(nil) end)
  T.raises("bad argument #2 to 'write_file'", function() return fs.write_file("/tmp/x") end)
  T.raises("invalid mode", function() return fs.open("/tmp/x", "q") end)
  T.raises("bad argument #1 to 'walk'", function() return fs.walk(nil) end)
end)

T.test("no file descriptor leaked by the tests above", function()
  collectgarbage()
  T.eq(open_fds(), fds_at_start)
end)

T.done()
