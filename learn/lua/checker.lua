-- checker.lua: the check context `t` and the sandbox learner code runs in
-- (docs/lesson-format.md). Loaded once into the engine state, which is
-- trusted; it runs in a sandbox child (learn/sandbox.cpp), which passes the
-- native functions as `...`.
--
-- Learner code only ever sees the sandbox environment made by make_env: copies
-- of the safe libraries, stubs that explain what is not available, and
-- print/io.write that write into the run record. Everything this file needs
-- is captured in locals below, out of the learner's reach.
local native = ...

local type, pairs, next, select, tostring, tonumber, error, pcall, xpcall =
  type, pairs, next, select, tostring, tonumber, error, pcall, xpcall
local ipairs = ipairs
local setmetatable, getmetatable, rawget, rawset, rawequal, load =
  setmetatable, getmetatable, rawget, rawset, rawequal, load
local collectgarbage = collectgarbage
local s_format, s_sub, s_find, s_match, s_gsub, s_byte, s_dump =
  string.format, string.sub, string.find, string.match, string.gsub, string.byte, string.dump
local t_concat, t_unpack, t_sort = table.concat, table.unpack, table.sort
local m_floor, m_abs, m_type = math.floor, math.abs, math.type
local d_getinfo, d_traceback = debug.getinfo, debug.traceback
local real_asyncio, real_async, real_await = asyncio, async, await
local iscoroutine, iscoroutinefunction, isfuture =
  asyncio.iscoroutine, asyncio.iscoroutinefunction, asyncio.isfuture
local real_time = time
local real_require = require
local real_io_open, real_os_remove = io.open, os.remove
local std = { string = string, table = table, math = math, utf8 = utf8, coroutine = coroutine }

local function pack(...) return { n = select("#", ...), ... } end

-- ---------------------------------------------------------------- shared tables

-- Tables every exercise can reach and change: the classes of the asyncio
-- modules (asyncio.Lock, asyncio.TimeoutError...), those modules, and the
-- metatables of the runtime's objects (getmetatable(asyncio.Future())).
-- A sandbox child may check several exercises of one learner in turn, so
-- seal() (in the parent, before forking) keeps their contents and restore()
-- puts them back before each exercise: what one exercise changes there, the
-- next one never sees, as if each had a child of its own.
local d_getmetatable, d_setmetatable, d_getregistry = debug.getmetatable, debug.setmetatable, debug.getregistry
local loaded = package.loaded
local sealed = {}  -- { t = table, saved = {k = v}, mt = its metatable }

-- Every table reachable from those roots through fields, keys,
-- metatables and the upvalues of functions is sealed, however deep (a
-- class's metatable is its base class, whose methods are a table of their
-- own; a class may be reachable only through the upvalues of its
-- constructor, as asyncio.Queue's is), except the engine's globals and
-- module registry, which exercises never see (they get fresh copies), and
-- weak tables (caches, not shared by design). The upvalues themselves are
-- kept too (a module's local counters and state).
local d_getupvalue = debug.getupvalue
local not_shared = { [_G] = true, [loaded] = true, [package.preload] = true, [package] = true }
local sealed_upvalues = { n = 0 }  -- f1, i1, v1, f2, i2, v2...

local seal_table
local function seal_value(v, seen)
  local tv = type(v)
  if tv == "table" then
    seal_table(v, seen)
  elseif tv == "function" and not seen[v] then
    seen[v] = true
    local i = 1
    while true do
      local name, up = d_getupvalue(v, i)
      if name == nil then break end
      local n = sealed_upvalues.n
      sealed_upvalues[n + 1], sealed_upvalues[n + 2], sealed_upvalues[n + 3] = v, i, up
      sealed_upvalues.n = n + 3
      seal_value(up, seen)
      i = i + 1
    end
  end
end

function seal_table(t, seen)
  if seen[t] or not_shared[t] then return end
  seen[t] = true
  local mt = d_getmetatable(t)
  if mt and rawget(mt, "__mode") then return end
  local saved = {}
  for k, v in next, t do saved[k] = v end
  sealed[#sealed + 1] = { t = t, saved = saved, mt = mt }
  if mt then seal_value(mt, seen) end
  for k, v in next, saved do
    seal_value(k, seen)
    seal_value(v, seen)
  end
end

-- Also math.random's state: each exercise starts from the same seed.
local m_randomseed = math.randomseed
local seed1, seed2

local function seal(extra)
  sealed = {}
  sealed_upvalues = { n = 0 }
  local seen = {}
  for name, m in next, loaded do
    if name == "asyncio" or s_sub(name, 1, 8) == "asyncio." then seal_value(m, seen) end
  end
  for k, v in next, d_getregistry() do
    if type(k) == "string" and k ~= "_LOADED" and k ~= "_PRELOAD" then seal_value(v, seen) end
  end
  for _, v in next, extra do seal_value(v, seen) end
  seed1, seed2 = m_randomseed()
end

-- In C (native.restore): Lua loops here would run under the instruction
-- hook, before every exercise.
local function restore()
  native.restore(sealed, sealed_upvalues)
  if seed1 then m_randomseed(seed1, seed2) end
end

-- The string metatable is shared by everything in the state: learner code
-- gets a read-only view of it (getmetatable("") returns the view), and
-- methods of strings ("x"):f come from a copy of the string library
-- without dump (string.dump would show the checks' own functions).
local string_tables
do
  local function refuse() error("the string metatable cannot be changed in exercises", 2) end
  local methods = {}
  for k, v in next, string do methods[k] = v end
  methods.dump = nil
  local lib = setmetatable({}, { __index = methods, __newindex = refuse, __metatable = false })
  local view = setmetatable({}, {
    __index = function(_, k) if k == "__index" then return lib end end,
    __newindex = refuse,
    __metatable = false,
  })
  local smt = getmetatable("")
  rawset(smt, "__index", methods)
  rawset(smt, "__metatable", view)
  string_tables = { smt, methods, lib, view }
end

-- ---------------------------------------------------------------- formatting

-- tostring that never raises (error objects whose __tostring fails).
local function safe_str(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv ~= "table" and tv ~= "userdata" then return tostring(v) end
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return "<a " .. tv .. " whose __tostring fails>"
end

local function fmt_number(v)
  if m_type(v) == "float" and v == m_floor(v) and m_abs(v) < 1e15 then return s_format("%.1f", v) end
  return tostring(v)
end

-- A string in double quotes as Lua would read it back, with control
-- characters readable: "a\tb\n" (not %q's "a\9b\<newline>").
local escapes = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ["\\"] = "\\\\", ['"'] = '\\"',
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\v"] = "\\v" }
local function quote(v)
  return '"' .. s_gsub(v, '[%c"\\]', function(c)
    return escapes[c] or s_format("\\x%02x", s_byte(c))
  end) .. '"'
end

-- A short, readable form of a value for messages ("water", 3.0, {1, 2}).
local function show(v, depth)
  depth = depth or 0
  local tv = type(v)
  if tv == "string" then
    local cut = #v > 120
    if cut then v = s_sub(v, 1, 120) end
    return quote(v) .. (cut and "..." or "")
  elseif tv == "number" then
    return fmt_number(v)
  elseif tv == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and rawget(mt, "__tostring") then return safe_str(v) end
    if depth >= 2 then return "{...}" end
    local parts, n, count = {}, 0, 0
    for i = 1, 20 do
      local x = rawget(v, i)
      if x == nil then break end
      n = i
      parts[#parts + 1] = show(x, depth + 1)
    end
    local keys = {}
    for k in next, v do
      if not (m_type(k) == "integer" and k >= 1 and k <= n) and k ~= "n" then keys[#keys + 1] = k end
    end
    t_sort(keys, function(a, b) return safe_str(a) < safe_str(b) end)
    for _, k in pairs(keys) do
      count = count + 1
      if count > 10 then
        parts[#parts + 1] = "..."
        break
      end
      local ks = type(k) == "string" and s_match(k, "^[%a_][%w_]*$") and k or "[" .. show(k, 2) .. "]"
      parts[#parts + 1] = ks .. " = " .. show(rawget(v, k), depth + 1)
    end
    return "{" .. t_concat(parts, ", ") .. "}"
  end
  return safe_str(v)
end

local function fmt_secs(s)
  if type(s) ~= "number" then return tostring(s) end
  local r = s_format("%.3f", s)
  r = s_gsub(r, "0+$", "")
  if s_sub(r, -1) == "." then r = r .. "0" end
  return r
end

-- Equality without the learner's metamethods: tables compare by contents.
local function same(a, b, depth)
  if rawequal(a, b) then return true end
  local ta, tb = type(a), type(b)
  if ta == "number" and tb == "number" then return a == b end
  if ta ~= "table" or tb ~= "table" or depth > 20 then return false end
  for k, v in next, a do
    if not same(v, rawget(b, k), depth + 1) then return false end
  end
  for k in next, b do
    if rawget(a, k) == nil then return false end
  end
  return true
end

-- "line 2 differs: expected "b", yours "x"" for two texts of several lines.
local function lines_of(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  if text == "" or s_sub(text, -1) == "\n" then lines[#lines] = nil end  -- no empty last line
  return lines
end

local function first_difference(want, got)
  local a, b = lines_of(want), lines_of(got)
  for i = 1, (#a > #b and #a or #b) do
    if a[i] ~= b[i] then
      local function q(l) return l == nil and "(nothing: the output ends before)" or show(l) end
      return s_format("the output differs at line %d:\n  expected %s\n  yours    %s", i, q(a[i]), q(b[i]))
    end
  end
  -- Same lines: the difference is a final newline.
  return s_format("the output differs only in its last newline: expected %s, yours %s",
    show(s_sub(want, -20)), show(s_sub(got, -20)))
end

-- ---------------------------------------------------------------- failures

-- A failed check is an error whose value has this (private) metatable.
local Failure = {}
local function fail(msg, line)
  error(setmetatable({ msg = msg, line = line }, Failure), 0)
end
local function is_failure(e) return type(e) == "table" and rawequal(getmetatable(e), Failure) end

-- ---------------------------------------------------------------- the job

-- Set by setup() for the exercise being checked.
local job = {
  source = "", chunkname = "=?", short_src = "?", pattern = "?", grants = {},
  max_output = 256 * 1024, max_time = 86400, workdir = nil,
}
local out_bytes = 0   -- printed during the current check
local spawned = 0     -- subprocesses started during the current check
local kMaxSpawn = 32
local current = nil   -- the run record print and time.sleep write into

-- What the learner's code did during the current check, over all its runs:
-- what it printed (stdout, and stderr apart: debug output, never compared),
-- kept up to kKeep bytes each, and the runtime's diagnostics.
local kKeep = 16 * 1024
local check = nil
local function new_check_state(keep_all)
  return { keep = keep_all and 1 / 0 or kKeep, out = {}, out_n = 0, out_dropped = 0, err = {}, err_n = 0,
    err_dropped = 0, diags = {}, seen = {} }
end
local function keep(c, which, s)
  local n = c[which .. "_n"]
  if n >= c.keep then
    c[which .. "_dropped"] = c[which .. "_dropped"] + #s
    return
  end
  if n + #s > c.keep then
    c[which .. "_dropped"] = c[which .. "_dropped"] + n + #s - c.keep
    s = s_sub(s, 1, c.keep - n)
  end
  local buf = c[which]
  buf[#buf + 1] = s
  c[which .. "_n"] = n + #s
end

local function escape_pattern(s) return (s_gsub(s, "[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

local function setup(ctx)
  restore()
  job.source = ctx.source
  if s_sub(job.source, 1, 1) == "#" then job.source = "--" .. job.source end  -- a #! line
  job.chunkname = ctx.chunkname
  job.grants = ctx.grants or {}
  job.max_output = ctx.max_output or job.max_output
  job.max_time = ctx.max_time or job.max_time
  job.workdir = ctx.workdir
  job.exercise = ctx.exercise
  job.exe = ctx.exe or "luasync"
  job.programs = ctx.programs or {}
  job.time_limit = s_format("%g", ctx.time_limit or 5)
  job.env = ctx.env or {}
  job.direct = ctx.direct
  job.stream = ctx.stream
  job.short_src = d_getinfo(load("return", ctx.chunkname), "S").short_src
  -- The learner's file name, not the end of another one's: a flat
  -- submission's "classify.lua" is in the check file's "checks/classify.lua".
  job.pattern = "%f[%w_./-]" .. escape_pattern(job.short_src) .. ":(%d+):"
  job.loose_pattern = "%f[%w_./-]" .. escape_pattern(job.short_src) .. ":(%d+)"
  job.file = s_sub(ctx.chunkname, 1, 1) == "@" and s_sub(ctx.chunkname, 2) or job.short_src
  job.bytecode = nil
  native.set_learner(job.short_src)
end

-- The learner's line in a message or traceback (the first, innermost, one).
local function line_in(text)
  if type(text) ~= "string" then return nil end
  local l = s_match(text, job.pattern)
  return l and tonumber(l)
end

-- The same, also where no colon follows ("coro=<f() at FILE:12>").
local function loose_line_in(text)
  if type(text) ~= "string" then return nil end
  local l = s_match(text, job.loose_pattern)
  return l and tonumber(l)
end

-- ---------------------------------------------------------------- records

local function new_record()
  return {
    values = { n = 0 }, error = nil, traceback = nil, time = 0, output = "", stderr = "", tasks = 0,
    blocking = {}, never_awaited = {}, unretrieved = {}, warnings = {}, diagnostics = {}, _out = {}, _err = {},
  }
end

local function write_out(s)
  out_bytes = out_bytes + #s
  if out_bytes > job.max_output then native.limit("output") end
  if job.direct then
    native.write(s)
    return
  end
  if current then
    local o = current._out
    o[#o + 1] = s
    if job.stream then native.stream(s) end  -- `luasync tour`: as it is printed
  end
  if check then keep(check, "out", s) end
end

-- io.stderr: debug output, shown apart and never part of r.output.
local function write_err(s)
  out_bytes = out_bytes + #s
  if out_bytes > job.max_output then native.limit("output") end
  if job.direct then
    native.write(s, true)
    return
  end
  if current then
    local o = current._err
    o[#o + 1] = s
  end
  if check then keep(check, "err", s) end
end

-- ---------------------------------------------------------------- diagnostics

-- What the runtime noticed, for the learner: { kind =, line =, message = }.
-- The kinds that are always a bug fail the check they happen in (when they
-- point into the learner's file), unless the check allows them
-- (`allow = { blocking = true }` in the check).
local strict_kinds = {
  never_awaited = true, unretrieved = true, shutdown_error = true, callback_error = true,
  swallowed_cancel = true, timeout_not_closed = true, blocking = true, future_not_awaited = true,
}

-- What a value that should have been awaited says about itself, or nil:
-- a coroutine object, a future or a task where its result was expected.
local function unawaited_kind(v)
  if iscoroutine(v) then return "a coroutine object (what calling an async function gives)" end
  if isfuture(v) then return "a future or task (what gather and create_task give at once)" end
end

local forgot_await = ": did you forget await? await(x) gives x's result"

local function first_line(text)
  return (s_match(text, "^[^\n]*"))
end

-- The error line of a runtime report with a traceback ("...\nerror: msg\n...").
local function error_of(text)
  for line in text:gmatch("[^\n]+") do
    if not s_find(line, "^%s") and not s_find(line, "^stack traceback") and not s_find(line, "^Task exception")
      and not s_find(line, "^Exception in") and not s_find(line, "^unhandled exception")
      and not s_find(line, "^task: ") then
      return line
    end
  end
  return first_line(text)
end

local function add_diag(kind, line, message)
  if not check then return end
  local key = kind .. "\0" .. tostring(line) .. "\0" .. message
  if check.seen[key] then return end
  check.seen[key] = true
  check.diags[#check.diags + 1] = { kind = kind, line = line, message = message }
end

local function diagnose(kind, text)
  if kind == "never_awaited" then
    local name = s_match(text, "coroutine '(.-)' was never awaited") or "?"
    local line = line_in(text)
    add_diag(kind, line, s_format("the coroutine object %s() made here was never awaited: calling an async " ..
      "function only prepares the work, which runs once the object is awaited (or handed to " ..
      "asyncio.create_task or gather)", name))
  elseif kind == "unretrieved" or kind == "shutdown_error" then
    add_diag("unretrieved", line_in(text) or loose_line_in(text),
      "a task failed and nobody retrieved its error (await the task, or gather it): " .. error_of(text))
  elseif kind == "callback_error" then
    add_diag(kind, line_in(text) or loose_line_in(text),
      "an error in a loop callback (call_soon, call_later or a done callback), which the loop only reports " ..
      "and goes on: " .. error_of(text))
  elseif kind == "slow_callback" then
    add_diag(kind, loose_line_in(text), "a step held the loop: " .. text ..
      " (every other task waited meanwhile; long computations should await asyncio.sleep(0) now and then)")
  elseif kind == "future_not_awaited" then
    add_diag(kind, line_in(text), (s_gsub(text, "^.-: RuntimeWarning: ", "", 1)))
  elseif kind == "swallowed_cancel" or kind == "timeout_not_closed" then
    add_diag(kind, line_in(text), (s_gsub(text, "^.-: RuntimeWarning: ", "", 1)))
  else
    add_diag(kind, line_in(text) or loose_line_in(text), first_line(text))
  end
end

local function collect_diagnostics(r)
  for _, b in next, r.blocking do
    add_diag("blocking", b.line, s_format("%s(%s) blocks the loop: every other task waits %s s with it; " ..
      "await(asyncio.sleep(%s)) waits without blocking", b.what, fmt_number(b.seconds), fmt_number(b.seconds),
      fmt_number(b.seconds)))
  end
  for _, d in next, r.diagnostics do
    -- A slow step that time.sleep explains is already said above.
    if not (d.kind == "slow_callback" and #r.blocking > 0) then diagnose(d.kind, d.text) end
  end
end

local function begin_record(r)
  current = r
  native.set_sink(r)
end

local function end_record(r)
  current = nil
  native.set_sink(nil)
  r.output = t_concat(r._out)
  r.stderr = t_concat(r._err)
  r._out, r._err = nil, nil
  r.ok = r.error == nil and r.finished ~= false
  collect_diagnostics(r)
end

-- ---------------------------------------------------------------- sandbox

local function unavailable(what, why)
  return function() error(what .. " is not available in exercises" .. (why or ""), 2) end
end

-- A table whose missing fields raise a clear error instead of being nil.
local function guarded(name, t, why)
  return setmetatable(t, {
    __index = function(_, k)
      error(s_format("%s.%s is not available in exercises%s", name, safe_str(k), why or ""), 2)
    end,
  })
end

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

local function sb_print(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  write_out(t_concat(parts, "\t") .. "\n")
end

local function writer(to)
  return function(...)
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      local tv = type(v)
      if tv ~= "string" and tv ~= "number" then
        error(s_format("bad argument #%d to 'write' (string expected, got %s)", i, tv), 3)
      end
      to(tv == "number" and fmt_number(v) or v)
    end
  end
end
local sb_write, sb_write_err = writer(write_out), writer(write_err)

local function sb_sleep(s)
  if type(s) ~= "number" then
    error("bad argument #1 to 'sleep' (number of seconds expected, got " .. type(s) .. ")", 2)
  end
  if s ~= s or s < 0 then error("bad argument #1 to 'sleep' (non-negative number of seconds expected)", 2) end
  local info = d_getinfo(2, "Sl")
  local line = info and info.short_src == job.short_src and info.currentline or nil
  if current then
    local b = current.blocking
    b[#b + 1] = { what = "time.sleep", seconds = s, line = line }
  end
  native.block(s)
end

local gc_allowed = { collect = true, count = true, step = true, isrunning = true }
local function sb_collectgarbage(opt, ...)
  opt = opt or "collect"
  if not gc_allowed[opt] then
    error(s_format("collectgarbage(%s) is not allowed in exercises (only \"collect\", \"count\", \"step\")",
      show(opt)), 2)
  end
  if opt == "collect" or opt == "step" then native.charge(2000000) end
  return collectgarbage(opt, ...)
end

local make_env  -- forward

-- asyncio.run in the sandbox: always on a fresh virtual-clock loop, recorded
-- in the current run.
local function sb_run(coro, opts)
  if not iscoroutine(coro) then
    if type(coro) == "function" then
      error("bad argument #1 to 'run' (coroutine object expected, got function " ..
        "(call the async function: asyncio.run(main())))", 2)
    end
    error("bad argument #1 to 'run' (coroutine object expected, got " .. type(coro) .. ")", 2)
  end
  -- Always in debug mode: the diagnostics a check shows come from it.
  return native.run(current or new_record(), true, job.max_time, true, coro)
end

local function sandbox_fs(env)
  local ok, real = pcall(real_require, "asyncio.fs")
  if not ok then error("require(\"asyncio.fs\"): " .. safe_str(real), 3) end
  local root = job.workdir
  local wrapped = {}
  for k, f in next, real do
    if type(f) == "function" then
      if k == "symlink" or k == "link" then
        wrapped[k] = unavailable("fs." .. k, " (links could lead outside WORKDIR)")
      else
        wrapped[k] = function(path, ...)
          if type(path) == "string" then
            local inside = native.path_inside(path, root)
            if not inside then
              error(s_format("fs.%s(%q): exercises may only use files inside WORKDIR (%s)", k, path, root), 2)
            end
            path = inside
          end
          local second = ...
          if (k == "rename" or k == "copy" or k == "copyfile") and type(second) == "string" then
            local inside = native.path_inside(second, root)
            if not inside then
              error(s_format("fs.%s(..., %q): exercises may only use files inside WORKDIR", k, second), 2)
            end
            return f(path, inside, select(2, ...))
          end
          return f(path, ...)
        end
      end
    else
      wrapped[k] = f
    end
  end
  return wrapped
end

-- os.tmpname and os.remove under the fs grant: inside WORKDIR only (the
-- lesson on files makes its scratch directory as Lua programs usually do).
local tmp_count = 0
local function sandbox_os(os_table)
  local root = job.workdir
  os_table.tmpname = function()
    tmp_count = tmp_count + 1
    local path = s_format("%s/lua_tmp%d", root, tmp_count)
    local f = real_io_open(path, "w")
    if f then f:close() end
    return path
  end
  os_table.remove = function(path)
    if type(path) ~= "string" then
      error("bad argument #1 to 'remove' (string expected, got " .. type(path) .. ")", 2)
    end
    local inside = native.path_inside(path, root)
    if not inside or inside == root then
      error(s_format("os.remove(%q): exercises may only remove files inside WORKDIR (%s)", path, root), 2)
    end
    return real_os_remove(inside)
  end
end

-- The asyncio functions each grant opens.
local needs_grant = {
  open_connection = "http", start_server = "http", getaddrinfo = "http",
  create_subprocess_exec = "subprocess", create_subprocess_shell = "subprocess",
}
-- Never, whatever the grants: a Unix socket's path can lead to any daemon
-- of the machine.
local never = {
  open_unix_connection = " (Unix sockets could reach the machine's daemons)",
  start_unix_server = " (Unix sockets could reach the machine's daemons)",
}

-- create_subprocess_exec's options an exercise may give, and what each may be.
local stdio_modes = { pipe = true, devnull = true, inherit = true }
local function check_spawn_options(opts)
  local clean = {}
  for k, v in next, opts do
    if k == "stdin" or k == "stdout" or k == "stderr" then
      if not stdio_modes[v] then
        error(s_format("asyncio.create_subprocess_exec: option '%s' must be \"pipe\", \"devnull\" or " ..
          "\"inherit\" (got %s)", k, show(v)), 3)
      end
      clean[k] = v
    elseif k == "cwd" then
      local inside = type(v) == "string" and job.workdir and native.path_inside(v, job.workdir)
      if not inside then
        error(s_format("asyncio.create_subprocess_exec: option 'cwd' (%s) must be a directory inside WORKDIR",
          show(v)), 3)
      end
      clean.cwd = inside
    elseif k == "env" then
      error("asyncio.create_subprocess_exec: option 'env' is not allowed in exercises (every program gets " ..
        "the same minimal environment)", 3)
    else
      error(s_format("asyncio.create_subprocess_exec: unknown option %s (exercises may give stdin, stdout, " ..
        "stderr and cwd)", type(k) == "string" and "'" .. k .. "'" or show(k)), 3)
    end
  end
  clean.env = job.env
  return clean
end

local base = {}
for _, k in pairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select", "tonumber",
  "tostring", "type", "rawequal", "rawget", "rawset", "rawlen", "setmetatable", "getmetatable", "_VERSION" }) do
  base[k] = _G[k]
end

-- Finalizers run with debug hooks off (no instruction limit), and at any
-- moment: exercises get none.
local function sb_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not allowed in exercises (a to-be-closed variable's __close is)", 2)
  end
  return setmetatable(t, mt)
end

function make_env()
  local env = {}
  for k, v in next, base do env[k] = v end
  env.setmetatable = sb_setmetatable
  env._G = env
  env.print = sb_print
  env.collectgarbage = sb_collectgarbage
  env.async, env.await = real_async, real_await
  env.load = function(chunk, name, mode, e)
    if type(chunk) == "string" and s_byte(chunk, 1) == 27 then
      error("load: binary chunks are not allowed in exercises", 2)
    end
    if select("#", chunk, name, mode, e) < 4 or e == nil then e = env end
    return load(chunk, name, "t", e)
  end
  env.dofile = unavailable("dofile", " (exercises cannot read files)")
  env.loadfile = unavailable("loadfile", " (exercises cannot read files)")

  local libs = {}
  for name, lib in next, std do libs[name] = copy(lib) end
  libs.string.dump = unavailable("string.dump")
  for name, lib in next, libs do env[name] = lib end

  local os_table = { clock = os.clock, date = os.date, time = os.time, difftime = os.difftime }
  if job.grants.fs and job.workdir then sandbox_os(os_table) end
  env.os = guarded("os", os_table, " (the sandbox runs no programs and touches no files)")
  local out = { write = function(self, ...) sb_write(...); return self end }
  local err = { write = function(self, ...) sb_write_err(...); return self end }
  env.io = guarded("io", { write = function(...) sb_write(...); return out end, stdout = out, stderr = err },
    " (exercises cannot open files: print or io.write only)")
  env.debug = guarded("debug", { traceback = d_traceback })
  env.package = guarded("package", {}, " (use require)")

  local t = { sleep = sb_sleep, time = real_time.time, monotonic = real_time.monotonic }
  env.time = t

  local a = copy(real_asyncio)
  for k, grant in next, needs_grant do
    if a[k] ~= nil and not job.grants[grant] then
      a[k] = unavailable("asyncio." .. k, " (this exercise does not grant " .. grant .. ")")
    end
  end
  a.run = sb_run
  a.time = t
  -- gather returns a future at once; one that is still pending with nobody
  -- waiting on it when the run is over was meant to be awaited (the
  -- diagnostic "future_not_awaited", with the line of the gather call).
  local real_gather = real_asyncio.gather
  a.gather = function(...)
    local fut = real_gather(...)
    local info = d_getinfo(2, "Sl")
    if info and info.currentline and info.currentline > 0 then
      native.track_future(fut, s_format("%s:%d: RuntimeWarning: asyncio.gather() here returned a future that " ..
        "nothing awaited: it was still pending when the run ended. gather gives back a future at once; " ..
        "`local results = await(asyncio.gather(...))` waits for the results (did you forget await?)",
        info.short_src, info.currentline))
    end
    return fut
  end
  if real_asyncio.format_call_graph then  -- prints through the captured output
    local format = real_asyncio.format_call_graph
    a.print_call_graph = function(fut, opts)
      if type(opts) == "table" and opts.file ~= nil then return real_asyncio.print_call_graph(fut, opts) end
      write_out(format(fut, opts))
    end
  end
  for k, why in next, never do
    if a[k] ~= nil then a[k] = unavailable("asyncio." .. k, why) end
  end
  if a.ssl ~= nil and not job.grants.http then
    a.ssl = guarded("asyncio.ssl", {}, " (this exercise does not grant http)")
  end
  if job.grants.subprocess and real_asyncio.create_subprocess_exec then
    -- Only luasync itself, which runs the code in this same sandbox
    -- (`luasync learn exec`): the grant is parallelism, not a way out; or a
    -- program the lesson names (grants.programs). Always with a fresh,
    -- minimal environment (no LD_PRELOAD or other loader variable).
    local real_exec = real_asyncio.create_subprocess_exec
    a.create_subprocess_exec = function(program, ...)
      local path = job.programs[program]
      if program ~= "luasync" and program ~= job.exe and not path then
        local names = "luasync itself (arg[-1], or \"luasync\")"
        for name in next, job.programs do
          if s_sub(name, 1, 1) ~= "/" then names = names .. ", " .. name end
        end
        error(s_format("asyncio.create_subprocess_exec(%s): exercises may only start %s", show(program), names), 2)
      end
      spawned = spawned + 1
      if spawned > kMaxSpawn then
        error(s_format("asyncio.create_subprocess_exec: exercises may start at most %d processes", kMaxSpawn), 2)
      end
      local args = pack(...)
      local opts = {}
      if args.n > 0 and type(args[args.n]) == "table" then
        opts = args[args.n]
        args.n = args.n - 1
      end
      for i = 1, args.n do
        if type(args[i]) ~= "string" and type(args[i]) ~= "number" then
          error(s_format("bad argument #%d to 'create_subprocess_exec' (string expected, got %s)", i + 1,
            type(args[i])), 2)
        end
      end
      args[args.n + 1] = check_spawn_options(opts)
      if path then return real_exec(path, t_unpack(args, 1, args.n + 1)) end
      if args[1] ~= "-e" or type(args[2]) ~= "string" then
        error("asyncio.create_subprocess_exec: exercises may only run luasync with -e CODE", 2)
      end
      return real_exec(job.exe, "learn", "exec", "--time-limit", job.time_limit, t_unpack(args, 1, args.n + 1))
    end
    a.create_subprocess_shell = unavailable("asyncio.create_subprocess_shell",
      " (use asyncio.create_subprocess_exec(\"luasync\", \"-e\", code))")
  end
  env.asyncio = a
  env.arg = { [0] = job.file }
  if job.grants.subprocess then env.arg[-1] = job.exe end

  local modules = {
    asyncio = a, time = t, string = libs.string, table = libs.table, math = libs.math, utf8 = libs.utf8,
    coroutine = libs.coroutine,
  }
  env.require = function(name)
    if type(name) ~= "string" then
      error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
    end
    local m = modules[name]
    if m ~= nil then return m end
    if name == "asyncio.json" then
      m = real_require(name)
    elseif (name == "asyncio.http" or name == "asyncio.httpbin") and job.grants.http then
      m = real_require(name)
    elseif name == "asyncio.fs" and job.grants.fs then
      m = sandbox_fs(env)
    else
      local allowed = "asyncio, time, string, table, math, utf8, coroutine"
      if job.grants.http then allowed = allowed .. ", asyncio.http, asyncio.httpbin" end
      if job.grants.fs then allowed = allowed .. ", asyncio.fs" end
      error(s_format("require(%q) is not allowed in exercises (available: %s)", name, allowed), 2)
    end
    modules[name] = m
    return m
  end
  if job.grants.fs then env.WORKDIR = job.workdir end
  return env
end

-- ---------------------------------------------------------------- the context

-- The learner's file as a function (a syntax error fails the check).
-- The learner's file as a function with its own environment. Each check
-- loads it afresh; from the second time on, from the bytecode the first
-- compilation produced (this checker's own output, so safe to load), which
-- skips the parser.
local function compile(env)
  if job.bytecode then return load(job.bytecode, job.chunkname, "b", env) end
  local fn, err = load(job.source, job.chunkname, "t", env)
  if fn then
    job.bytecode = s_dump(fn)
    return fn
  end
  local msg = safe_str(err)
  if s_byte(job.source, 1) == 27 then
    fail(job.file .. " is a compiled (binary) chunk: exercises must be Lua source text")
  end
  fail("your file does not compile: " .. msg, line_in(msg))
end

-- A message handler that keeps the traceback next to the error.
local function handler(e)
  if is_failure(e) then return e end
  local ok, tb = pcall(d_traceback, "", 2)
  return { raw = e, msg = safe_str(e), tb = ok and tb or "" }
end

local function hint_for(msg)
  if s_find(msg, "stack overflow", 1, true) then
    return msg .. " (a function that calls itself without end?)"
  end
  -- "attempt to index a asyncio.coroutine value", "(table expected, got
  -- asyncio.Future)": a value used before it was awaited.
  local what = s_match(msg, "a (asyncio%.%a+) value") or s_match(msg, "got (asyncio%.%a+)%)")
  if what == "asyncio.coroutine" then
    return msg .. " (a coroutine object where its result was expected" .. forgot_await .. ")"
  elseif what == "asyncio.Future" or what == "asyncio.Task" or what == "asyncio.GatheringFuture" then
    return msg .. " (a future or task where its result was expected" .. forgot_await .. ")"
  end
  return msg
end

local function module_proxy()
  return setmetatable({}, {
    __index = function(_, k)
      fail(s_format("%s returns nothing, so there is no `%s` to check: it should end with " ..
        "`return { %s = %s }` (as the starter file does)", job.file, safe_str(k), safe_str(k), safe_str(k)))
    end,
  })
end

-- Calls fn(...) from a local variable called `name`, so that the coroutine
-- object it makes is named after the learner's function ("cook()").
local callers = {}
local function call_as(name, fn, ...)
  local c = callers[name]
  if not c then
    c = load("return function(f, ...) local " .. name .. " = f; return " .. name .. "(...) end", "=checker")()
    callers[name] = c
  end
  return c(fn, ...)
end

-- Makes the coroutine object t.call runs.
local function make_coro(name, fn, ...)
  if iscoroutine(fn) then return fn end
  if iscoroutinefunction(fn) then return call_as(name, fn, ...) end
  local args = pack(...)
  return real_async(function()
    local res = pack(fn(t_unpack(args, 1, args.n)))
    if res.n == 1 and (iscoroutine(res[1]) or isfuture(res[1])) then return real_await(res[1]) end
    return t_unpack(res, 1, res.n)
  end)()
end

local function callable(v)
  if type(v) == "function" or iscoroutine(v) then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

-- Removes the checker's own frames from a traceback shown to the learner.
local function clean_traceback(tb)
  if type(tb) ~= "string" then return tb end
  local lines = {}
  for line in tb:gmatch("[^\n]+") do
    if not s_find(line, "[learn]/", 1, true) and not s_find(line, "[C]: in ?", 1, true) then
      lines[#lines + 1] = line
    end
  end
  return t_concat(lines, "\n")
end

local keywords = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return " ..
  "then true until while"):gmatch("%a+") do keywords[w] = true end

-- The name of fn in the module the check loaded, for messages.
local function name_in(module, fn)
  if type(module) == "table" then
    for k, v in next, module do
      if rawequal(v, fn) and type(k) == "string" and s_match(k, "^[%a_][%w_]*$") and not keywords[k] then
        return k
      end
    end
  end
  return "check"
end

local function new_t()
  local t = {}
  local module  -- what t.load() returned last

  function t.load()
    local env = make_env()
    local fn = compile(env)
    local r = new_record()
    begin_record(r)
    local res = pack(xpcall(fn, handler))
    end_record(r)
    t.loaded_output = r.output
    if not res[1] then
      local e = res[2]
      if is_failure(e) then error(e, 0) end
      fail("loading your file raised an error: " .. hint_for(e.msg), line_in(e.msg) or line_in(e.tb))
    end
    local m = res[2]
    if m == nil then return module_proxy() end
    if type(m) ~= "table" then
      fail(s_format("%s returns a %s, but the checks expect a table of functions (it should end with " ..
        "`return { ... }` as the starter file does)", job.file, type(m)))
    end
    module = m
    return m
  end

  -- t.call_with(opts, fn, ...): t.call with options: debug (asyncio debug
  -- mode: slow steps are reported in r.warnings), max_time (virtual seconds).
  function t.call_with(opts, fn, ...)
    if not callable(fn) then
      fail(s_format("there is nothing to call here (got %s): does %s still return this function?",
        type(fn), job.file))
    end
    opts = opts or {}
    local r = new_record()
    local name = name_in(module, fn)
    local args = pack(...)
    local shown = {}
    for i = 1, args.n do shown[i] = type(args[i]) == "function" and "<function>" or show(args[i]) end
    r.call = s_format("%s(%s)", name, t_concat(shown, ", "))
    t.last_record = r
    native.reset_tasks()
    begin_record(r)
    local ok, err = xpcall(function(...)
      -- Always in debug mode (opts.debug is accepted for older checks): the
      -- diagnostics every check shows come from it.
      native.run(r, false, opts.max_time or job.max_time, true, make_coro(name, fn, ...), job.timeline)
    end, handler, ...)
    end_record(r)
    if not ok then
      if is_failure(err) then error(err, 0) end
      r.error = err.raw
      r.traceback = err.msg .. "\n" .. err.tb
      r.ok = false
    end
    r.traceback = clean_traceback(r.traceback)
    if r.timed_out then
      fail(s_format("still running after %s virtual seconds: does it wait for something that never happens, " ..
        "or loop forever?", fmt_secs(opts.max_time or job.max_time)))
    end
    return r
  end

  function t.call(fn, ...) return t.call_with(nil, fn, ...) end

  -- Runs the file: a script runs as it is; a module's `main` is called.
  -- A module without `main` is handed to `other` if given (`learn run`).
  -- r.call says what ran.
  function t.run(other)
    local env = make_env()
    local fn = compile(env)
    local r = new_record()
    r.call = "the file"
    native.reset_tasks()
    begin_record(r)
    local res = pack(xpcall(fn, native.msgh))
    end_record(r)
    if not res[1] then
      r.error = res[2]
      r.traceback = clean_traceback(native.traceback(res[2]))
      r.ok = false
      return r
    end
    local m = res[2]
    if m == nil then
      r.values = pack(t_unpack(res, 2, res.n))
      r.finished = true
      r.ok = true
      return r
    end
    if type(m) ~= "table" or rawget(m, "main") == nil then
      if other then return other(m) end
      fail(job.file .. " returns a table without `main`, so there is nothing to run")
    end
    local r2 = t.call(rawget(m, "main"))
    r2.output = r.output .. r2.output
    r2.call = "main()"
    for _, b in next, r.blocking do r2.blocking[#r2.blocking + 1] = b end
    return r2
  end

  function t.eq(actual, expected, msg)
    if same(actual, expected, 0) then return end
    if type(actual) == "string" and type(expected) == "string" and s_find(expected, "\n", 1, true) then
      -- Printed output: the first line that differs says more than the whole.
      fail(first_difference(expected, actual) .. (msg and ("\n" .. msg) or ""))
    end
    local what = unawaited_kind(actual)
    if actual == nil and expected ~= nil and check then
      -- nil from a future indexed as if it were the results (r[1] of an
      -- unawaited gather), or from a coroutine that never ran.
      for _, d in next, check.diags do
        if (d.kind == "future_not_awaited" or d.kind == "never_awaited") and d.line then
          fail(s_format("expected %s, got nil%s. Likely cause, line %d: %s that was never awaited " ..
            "(did you forget await?)", show(expected), msg and (": " .. msg) or "", d.line,
            d.kind == "never_awaited" and "a coroutine object" or "a future from asyncio.gather"))
        end
      end
    end
    if what and not unawaited_kind(expected) then
      fail(s_format("expected %s, got %s%s. That is %s, where its result was expected%s", show(expected),
        show(actual), msg and (": " .. msg) or "", what, forgot_await))
    end
    fail(s_format("expected %s, got %s%s", show(expected), show(actual), msg and (": " .. msg) or ""))
  end

  function t.ok(cond, msg, line)
    if not cond then fail(msg or "a condition of this check is false", line) end
  end

  function t.near(actual, expected, eps, msg)
    if type(actual) ~= "number" or m_abs(actual - expected) > eps then
      fail(s_format("expected %s (give or take %s), got %s%s", show(expected), show(eps), show(actual),
        msg and (": " .. msg) or ""))
    end
  end

  function t.time(r, expected, explanations)
    local seen = r.time
    if type(seen) == "number" and m_abs(seen - expected) <= 0.001 + 1e-9 then return end
    local msg = s_format("expected it to finish at %s virtual seconds, but it finished at %s",
      fmt_secs(expected), fmt_secs(seen))
    if type(explanations) == "table" and type(seen) == "number" then
      for k, text in pairs(explanations) do
        if type(k) == "number" and m_abs(k - seen) <= 0.001 + 1e-9 then
          msg = msg .. ". " .. text
          break
        end
      end
    end
    fail(msg)
  end

  function t.output(r, pattern, msg)
    local out = r.output or ""
    if s_find(out, pattern) then return end
    local shown = out == "" and "(nothing)" or out
    if #shown > 600 then shown = s_sub(shown, 1, 600) .. "\n..." end
    fail((msg or ("expected the output to match " .. show(pattern))) .. "\nyour code printed:\n" .. shown)
  end

  function t.no_error(r)
    if r.ok ~= false and r.error == nil then return end
    local msg = r.error == nil and "it did not finish" or safe_str(r.error)
    if type(r.error) == "table" or type(r.error) == "userdata" then
      local ok = pcall(tostring, r.error)
      if not ok then msg = "an error object whose __tostring itself fails" end
    end
    local line = line_in(msg) or line_in(r.traceback)
    fail("your code raised an error: " .. hint_for(msg), line)
  end

  function t.fail(msg, line) fail(msg, line) end

  t.show = show
  t.workdir = job.workdir
  return t
end

-- ---------------------------------------------------------------- entry points

local M = {}

-- In the parent, before the first child: see "shared tables" above. Every
-- asyncio submodule is loaded first, so that all of them are sealed.
function M.seal()
  for name in next, package.preload do
    if s_sub(name, 1, 8) == "asyncio." then pcall(real_require, name) end
  end
  -- Methods of the loop object that reach the network need the http grant
  -- too (the loop object is every exercise's).
  local ok, stream = pcall(real_require, "asyncio._stream")
  local loop_methods = ok and type(stream) == "table" and rawget(stream, "Loop")
  if type(loop_methods) == "table" then
    for _, k in next, { "create_datagram_endpoint", "create_connection", "create_server" } do
      local f = rawget(loop_methods, k)
      if f ~= nil then
        rawset(loop_methods, k, function(...)
          if not job.grants.http then
            error("loop:" .. k .. " is not available in exercises (this exercise does not grant http)", 2)
          end
          return f(...)
        end)
      end
    end
  end
  seal(string_tables)
  return #sealed, sealed_upvalues.n // 3
end

-- Sends what the current check printed and what the runtime noticed:
--   P i stdout stderr stdout_dropped stderr_dropped
--   W i kind line message         (one per diagnostic)
local function emit_details(i, allow)
  local c = check
  native.emit("P", i, t_concat(c.out), t_concat(c.err), c.out_dropped, c.err_dropped)
  for _, d in ipairs(c.diags) do
    -- What the check allows (`allow = { blocking = true }`) is expected there.
    if not (type(allow) == "table" and allow[d.kind]) then
      native.emit("W", i, d.kind, d.line or "", d.message)
    end
  end
end

-- The first diagnostic that fails a check that otherwise passed.
local function strict_problem(allow)
  for _, d in ipairs(check.diags) do
    if strict_kinds[d.kind] and d.line and not (type(allow) == "table" and allow[d.kind]) then return d end
  end
end

-- Runs checks[first..] against the learner's file, reporting each result.
function M.run_checks(ctx, checks, first)
  setup(ctx)
  for i = first, #checks do
    local c = checks[i]
    native.begin_check(i - 1)
    out_bytes = 0
    spawned = 0
    check = new_check_state()
    local t = new_t()
    local ok, e = xpcall(c.run, handler, t)
    native.set_sink(nil)
    current = nil
    native.end_check()
    local problem = ok and strict_problem(c.allow)
    emit_details(i - 1, c.allow)
    check = nil
    if ok and not problem then
      native.emit("R", i - 1, "pass", "", "")
    elseif ok then
      native.emit("R", i - 1, "fail", problem.line or "",
        "it gives the right results, but luasync noticed a problem: " .. problem.message)
    elseif is_failure(e) then
      native.emit("R", i - 1, "fail", e.line or "", safe_str(e.msg))
    else
      local line = line_in(e.msg) or line_in(e.tb)
      local msg
      if line then
        msg = "your code raised an error: " .. hint_for(e.msg)
      else
        msg = "the check stopped with an error (is something in your file missing or of the wrong kind?): " ..
          hint_for(e.msg)
      end
      native.emit("R", i - 1, "fail", line or "", msg)
    end
  end
end

-- `luasync learn run`: what to run, in this order: the file's `main` (or
-- the whole file, when it returns nothing); else the lesson's demo (a
-- `demo` function in the check file, which gets `t` and returns a run
-- record or calls t.call); else the first call a check makes (the checks in
-- order). Returns the run record; r.call says what was run.
local Demo = {}  -- the error that stops a check at its first call

local function demo_run(t, checks)
  return t.run(function()
  -- A module: what the lesson or the checks call.
  local function first_call(run, label)
    local t2 = new_t()
    local real = t2.call_with
    t2.call_with = function(opts, f, ...)
      local ok, r2 = pcall(real, opts, f, ...)
      local rec = ok and r2 or t2.last_record
      if rec then error(setmetatable({ r = rec }, Demo), 0) end
      error(r2, 0)
    end
    local ok, e = xpcall(run, handler, t2)
    local rec
    if not ok and type(e) == "table" and type(e.raw) == "table" and rawequal(getmetatable(e.raw), Demo) then
      rec = e.raw.r
    elseif ok and type(e) == "table" and type(e.values) == "table" then
      rec = e  -- a demo that returns its record
    end
    -- A function the check wrote itself has no name in the module.
    if rec and (rec.call == nil or s_sub(rec.call, 1, 6) == "check(") then rec.call = label end
    return rec
  end
  if type(rawget(checks, "demo")) == "function" then
    local rec = first_call(rawget(checks, "demo"), "the lesson's demo")
    if rec then return rec end
  end
  for i = 1, #checks do
    local rec = first_call(checks[i].run, "what the check '" .. tostring(checks[i].name) .. "' runs")
    if rec then return rec end
  end
    fail("there is nothing to run: the file returns a module without `main`, and no check calls a function " ..
      "of it. `luasync learn check` checks it.")
  end)
end

function M.run_main(ctx, checks)
  setup(ctx)
  job.timeline = ctx.timeline
  native.begin_check(0)
  check = new_check_state(true)
  local t = new_t()
  local ok, r = xpcall(demo_run, handler, t, checks)
  native.set_sink(nil)
  current = nil
  native.end_check()
  job.timeline = nil
  emit_details(0)
  if not job.stream then native.emit("O", t_concat(check.out)) end
  check = nil
  if not ok then
    if is_failure(r) then
      native.emit("V", "0", "", "", "", safe_str(r.msg), "", r.line or "", "", "")
    else
      native.emit("V", "0", "", "", "", clean_traceback(r.msg .. "\n" .. r.tb), "", line_in(r.msg) or "", "", "")
    end
    return
  end
  local vals = {}
  for i = 1, r.values.n or 0 do vals[i] = show(r.values[i]) end
  local err = ""
  if r.error ~= nil or r.ok == false then
    err = r.traceback or safe_str(r.error)
  end
  native.emit("V", r.finished == false and "0" or "1", fmt_secs(r.time), s_format("%d", r.tasks),
    t_concat(vals, ", "), err, t_concat(r.warnings, "\n"), line_in(err) or "", r.call or "", r.timeline or "")
end

-- `luasync learn exec -e CODE args...`: CODE in the sandbox, printing to
-- stdout; returns the exit status.
function M.run_exec(ctx, ...)
  ctx.direct = true
  setup(ctx)
  local env = make_env()
  env.arg = { [0] = "-e", ... }
  local fn, err = load(job.source, job.chunkname, "t", env)
  if not fn then
    native.write("luasync: " .. safe_str(err) .. "\n", true)
    return 1
  end
  local ok, e = xpcall(fn, native.msgh, ...)
  if not ok then
    native.write("luasync: " .. clean_traceback(native.traceback(e)) .. "\n", true)
    return 1
  end
  return 0
end

return M
