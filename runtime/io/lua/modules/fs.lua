-- fs.lua: require("asyncio.fs"), files on libuv's thread pool.
--
-- The operations are native (runtime/io/fs.cpp, asyncio._fs) and return
-- futures: `local text = await(fs.read_file(path))`. Failures come out of
-- await as asyncio.OSError values: tostring(err) is
-- "ENOENT: no such file or directory: /x/y", err.code is "ENOENT",
-- err.errno 2, err.path the path.
--
--   fs.read_file(path)                      -> string
--   fs.write_file(path, data [, {atomic = true}])
--       atomic: write a temp file in the same directory, fsync it, rename
--       it over path (readers see the old or the new content, never a mix)
--   fs.stat(path), fs.lstat(path)           -> {type, size, mode, mtime, atime, ctime, ino, dev, nlink, uid, gid}
--       type: "file", "directory", "link" (lstat only), "fifo", "socket", "char", "block"
--   fs.scandir(path)                        -> array of {name =, type =}, sorted by name
--   fs.mkdir(path [, mode]), fs.rmdir(path), fs.unlink(path), fs.rename(from, to)
--   fs.exists(path)                         -> boolean (awaitable)
--   fs.open(path [, mode])                  -> File (modes as io.open)
--       file:read([fmt]) (a byte count, "a", "l" (default), "L"; nil at EOF as io),
--       file:write(...), file:lines([fmt]), file:close(); a to-be-closed value
--   fs.walk(root), fs.lines(path [, fmt])   iterators for a generic for, below
--
-- Iterators that await. fs.walk, fs.lines and file:lines return iterator
-- functions that await inside: the generic `for` calls the iterator in the
-- running task's own Lua thread (a plain Lua call, no coroutine boundary),
-- so the iterator may suspend the task like any other code of the task:
--
--   local main = async(function()
--     for entry in fs.walk("/etc") do print(entry.depth, entry.path) end
--   end)
--
-- They therefore work only inside a task (an async function being run);
-- elsewhere await raises "await called outside an async function".
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local CancelledError, OSError = asyncio.CancelledError, asyncio.OSError

local native = require("asyncio._fs")

local fs = {}
for _, name in ipairs({"read_file", "write_file", "stat", "lstat", "scandir", "mkdir", "rmdir",
                       "unlink", "rename", "open"}) do
  fs[name] = native[name]
end

-- Awaits aw; returns true, results or false, err, but lets a cancellation
-- through (a cancelled walk must stop, not report an entry error).
local function try_await(aw)
  local ok, res = pcall(await, aw)
  if not ok and CancelledError:is(res) then error(res, 0) end
  return ok, res
end

-- fs.exists(path): does path exist (following symlinks)? Errors other than
-- ENOENT and ENOTDIR are raised.
fs.exists = async(function(path)
  local ok, err = try_await(native.stat(path))
  if ok then return true end
  if OSError:is(err) and (err.code == "ENOENT" or err.code == "ENOTDIR") then return false end
  error(err, 0)
end)

-- file:lines([fmt]): iterator over the lines of an open file (each read
-- with file:read(fmt), "l" by default) until EOF. The file stays open.
function native.File.lines(file, fmt)
  fmt = fmt or "l"
  return function() return await(file:read(fmt)) end
end

-- fs.lines(path [, fmt]): opens path and iterates over its lines; the file
-- is the for loop's closing value, so it is closed when the loop ends, also
-- by break or an error (as io.lines in Lua 5.4).
function fs.lines(path, fmt)
  local file = await(native.open(path, "r"))
  return file:lines(fmt), nil, nil, file
end

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

-- fs.walk(root): iterator over every entry below root, depth first, in name
-- order within a directory: each directory is given before what it holds.
-- Entries are tables {path =, name =, type =, depth =} (depth 1 for root's
-- own entries). Symbolic links are reported (type "link"), not followed.
-- A failure is reported in the entry it concerns, as `entry.error` (an
-- OSError), and the walk goes on: a directory that cannot be listed is
-- given with .error and not entered; if root itself cannot be listed, the
-- walk gives one entry for it (depth 0) with .error.
function fs.walk(root)
  if type(root) ~= "string" then
    error("bad argument #1 to 'walk' (string expected, got " .. type(root) .. ")", 2)
  end
  local stack = {} -- {dir =, depth =, list =, i =} per directory being walked
  local started = false
  return function()
    if not started then
      started = true
      local ok, list = try_await(native.scandir(root))
      if not ok then
        return {path = root, name = root:match("([^/]*)/*$"), depth = 0, error = list}
      end
      stack[1] = {dir = root, depth = 1, list = list, i = 0}
    end
    while true do
      local top = stack[#stack]
      if top == nil then return nil end
      local i = top.i + 1
      local e = top.list[i]
      if e == nil then
        stack[#stack] = nil
      else
        top.i = i
        local path = join(top.dir, e.name)
        local entry = {path = path, name = e.name, type = e.type, depth = top.depth}
        if entry.type == "unknown" then -- the file system did not say: ask
          local ok, st = try_await(native.lstat(path))
          if ok then entry.type = st.type else entry.error = st end
        end
        if entry.type == "directory" then
          local ok, list = try_await(native.scandir(path))
          if ok then
            stack[#stack + 1] = {dir = path, depth = top.depth + 1, list = list, i = 0}
          else
            entry.error = list
          end
        end
        return entry
      end
    end
  end
end

return fs
