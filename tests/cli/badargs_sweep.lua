-- The bad-argument sweep (issue 11): every function of every luasync module
-- and every method of every runtime object, found by walking the module
-- tables, the registry's metatables and the metatables of objects the
-- modules make (so new functions are covered without touching this file), is
-- called with missing, extra and wrong-typed arguments and a wrong self.
-- Each call either succeeds (the arguments were valid after all) or raises a
-- clear error: a message, never Lua's own "attempt to index/call/..." leaking
-- out of the runtime. Crashes and leaks fail the run (ASan/LSan build).
-- Run by badargs.sh in a fresh temporary directory (fs and subprocess calls
-- touch the current directory). SWEEP_VERBOSE=1 prints every call first.

local verbose = os.getenv("SWEEP_VERBOSE") == "1"
local fs = require("asyncio.fs")

-- ---- what to sweep -----------------------------------------------------------

local targets = {}   -- {name=, fn=, self_of= (metatable of the method's objects)}
local seen_fn = {}
local function add(name, fn, mt)
  if type(fn) ~= "function" or seen_fn[fn] then return end
  seen_fn[fn] = true
  targets[#targets + 1] = {name = name, fn = fn, mt = mt}
end

-- Functions whose arguments cannot be swept blindly, with the reason.
local skip = {
  -- `luasync httpbin`'s command line: exits the process on a bad argument
  -- (with the usage, status 2) and serves until Ctrl-C on good ones.
  ["asyncio.httpbin.cli"] = true,
}
-- Known failures, printed on every run until removed (none now).
local pending = {}

local seen_tbl = {}
local function walk(prefix, t, depth)
  if seen_tbl[t] or depth > 3 then return end
  seen_tbl[t] = true
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rawget(t, k)
    local name = prefix .. "." .. k
    if type(v) == "function" then
      add(name, v)
    elseif type(v) == "table" and k ~= "__index" then
      walk(name, v, depth + 1)
    end
  end
end

local modules = {asyncio = asyncio, time = time}
for name in pairs(package.preload) do
  if name:match("^asyncio%.") then modules[name] = require(name) end
end
local mod_names = {}
for name in pairs(modules) do mod_names[#mod_names + 1] = name end
table.sort(mod_names)

-- Metatables of runtime objects: the registry's named ones...
local metatables = {}   -- mt -> name
local reg = debug.getregistry()
for k, v in pairs(reg) do
  if type(k) == "string" and type(v) == "table" and type(rawget(v, "__name")) == "string"
     and k ~= "FILE*" and k ~= "_LOADED" then
    metatables[v] = k
  end
end

local function walk_mt(mt, name)
  local keys = {}
  for k in pairs(mt) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rawget(mt, k)
    if type(v) == "function" then
      add(name .. ":" .. k, v, mt)
    elseif k == "__index" and type(v) == "table" then
      local ks = {}
      for m in pairs(v) do if type(m) == "string" then ks[#ks + 1] = m end end
      table.sort(ks)
      for _, m in ipairs(ks) do
        if type(v[m]) == "function" then add(name .. ":" .. m, v[m], mt) end
      end
    end
  end
end

-- ---- values -------------------------------------------------------------------

local function bad_values(extra)
  local vs = {
    {"nil", nil}, {"true", true}, {"false", false}, {"0", 0}, {"-1", -1},
    {"1.5", 1.5}, {"2^63", math.maxinteger}, {"-2^63", math.mininteger},
    {"inf", math.huge}, {"-inf", -math.huge}, {"nan", 0 / 0}, {"''", ""},
    {"'x'", "x"}, {"'\\0'", "a\0b"}, {"{}", {}}, {"{1,2}", {1, 2}},
    {"trap table", setmetatable({}, {
      __index = function() error("trap: __index", 0) end,
      __newindex = function() error("trap: __newindex", 0) end,
      __len = function() error("trap: __len", 0) end,
      __tostring = function() error("trap: __tostring", 0) end,
      __call = function() error("trap: __call", 0) end,
      __pairs = function() error("trap: __pairs", 0) end,
    })},
    {"function", function() end}, {"thread", coroutine.create(function() end)},
    {"io.stdout", io.stdout},
  }
  for _, e in ipairs(extra or {}) do vs[#vs + 1] = e end
  return vs
end

-- ---- one call -----------------------------------------------------------------

local calls, errors, successes, waits = 0, 0, 0, 0
local failures = {}
local function fail(desc, why)
  failures[#failures + 1] = desc .. ": " .. why
end

-- Lua's own messages for a misused value: from the runtime they mean an
-- argument went unchecked.
local internal = {"attempt to index", "attempt to call", "attempt to perform arithmetic",
                  "attempt to compare", "attempt to concatenate", "attempt to get length",
                  "number has no integer representation", "bad 'for'"}
local function lua_internal(msg)
  -- luaL_check*'s own message names the argument and what was wrong (the
  -- function's name is '?' here only because pcall calls it).
  if msg:find("bad argument #%d+ to '") then return false end
  for _, p in ipairs(internal) do
    if msg:find(p, 1, true) then return true end
  end
  return false
end

local function message_of(e)
  if type(e) == "string" then return e end
  local ok, s = pcall(tostring, e)
  return ok and s or nil
end

local function describe(name, args, n)
  local parts = {}
  for i = 1, n do parts[i] = args[i] == nil and "nil" or (type(args[i]) == "string" and ("%q"):format(args[i]:sub(1, 10)) or type(args[i])) end
  return name .. "(" .. table.concat(parts, ", ") .. ")"
end

-- Runs fn(args) in a task of its own: a call that waits (valid arguments
-- for something that takes time) is given one virtual second, then cancelled.
-- Methods written in Lua that take a wrong self (a `q.get()` for `q:get()`)
-- fail with Lua's own message ("attempt to index a nil value (local
-- 'self')"), as Python's raise AttributeError: counted and listed, not
-- failed. Everything else must be clear.
local lua_wrong_self = {}
local function is_lua(fn)
  return debug.getinfo(fn, "S").what == "Lua"
end

local function call(name, fn, args, n, arg_pos, wrong_self)
  -- A private function or a metamethod of a class table (X._abort,
  -- X.__tostring) takes its object first: a wrong first argument is a wrong self.
  if not wrong_self and name:match("[.:]_[%w_]*$") then
    wrong_self = true
  end
  calls = calls + 1
  local desc = describe(name, args, n)
  if verbose then io.stderr:write("call ", desc, "\n") end
  local t = asyncio.create_task(async(function()
    return table.pack(pcall(fn, table.unpack(args, 1, n)))
  end)())
  local ok, r = pcall(await, asyncio.wait_for(t, 1))
  if not ok then
    if asyncio.TimeoutError:is(r) then waits = waits + 1 return end
    fail(desc, "the task failed instead of the pcall: " .. tostring(message_of(r)))
    return
  end
  local res = r
  -- The call's results may be coroutine objects nobody awaits: close them.
  if res[1] then
    successes = successes + 1
    for i = 2, res.n do
      if asyncio.iscoroutine(res[i]) then pcall(function() res[i]:close() end) end
    end
    return
  end
  errors = errors + 1
  local msg = message_of(res[2])
  if msg == nil or msg == "" then
    fail(desc, "an error without a message (" .. type(res[2]) .. ")")
  elseif lua_internal(msg) then
    if wrong_self and is_lua(fn) then
      lua_wrong_self[name] = true
    else
      fail(desc, "an unclear error: " .. msg)
    end
  elseif msg:match("^%s*$") or msg == "nil" then
    fail(desc, "an empty error message")
  end
end

-- ---- the sweep ----------------------------------------------------------------

local function sweep_function(tg, name, fn, self_value, wrong_selves, is_method)
  local values = bad_values()
  local base = self_value ~= nil and 1 or 0
  local function with_self(...)
    if self_value ~= nil then return {self_value, ...}, select("#", ...) + 1 end
    return {...}, select("#", ...)
  end
  -- missing: nothing (after self)
  local no_self = is_method and self_value == nil  -- every call has a wrong self
  local a, n = with_self()
  call(name, fn, a, n, nil, no_self)
  -- wrong-typed, one position at a time (others missing)
  for pos = 1, 3 do
    for _, v in ipairs(values) do
      local args, m = {}, base + pos
      if self_value ~= nil then args[1] = self_value end
      args[base + pos] = v[2]
      call(name, fn, args, m, base + pos, no_self)
    end
  end
  -- extra: many arguments of every type
  local extra = {}
  if self_value ~= nil then extra[1] = self_value end
  for i, v in ipairs(values) do extra[base + i] = v[2] end
  call(name, fn, extra, base + #values, nil, no_self)
  -- a wrong self
  if self_value ~= nil then
    for _, v in ipairs(wrong_selves) do call(name, fn, {v[2]}, 1, 1, true) end
  end
end

local function main()
  for _, name in ipairs(mod_names) do walk(name, modules[name], 0) end
  local n_module_fns = #targets

  -- Objects to use as self: what the module functions return when called with
  -- no arguments, plus the ones that need arguments.
  local instances = {}   -- mt -> value
  local function keep(v)
    local mt = debug.getmetatable(v)
    if type(mt) == "table" and instances[mt] == nil and type(v) ~= "string" then
      instances[mt] = v
      if not metatables[mt] then metatables[mt] = rawget(mt, "__name") or ("object of " .. tostring(mt)) end
    end
  end
  for i = 1, n_module_fns do
    local t = asyncio.create_task(async(function() return table.pack(pcall(targets[i].fn)) end)())
    local ok, r = pcall(await, asyncio.wait_for(t, 1))
    if ok and r[1] then for j = 2, r.n do keep(r[j]) end end
  end
  local loop = asyncio.get_running_loop()
  keep(loop)
  keep(loop:create_future())
  keep(loop:call_soon(function() end))
  keep(loop:call_later(100, function() end))
  keep(asyncio.create_task(asyncio.sleep(100)))
  keep(asyncio.sleep(0))
  local server = await(asyncio.start_server(async(function(r, w) w:close() end), "127.0.0.1", 0))
  keep(server)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port or server:get_port()))
  keep(reader); keep(writer)
  local proc = await(asyncio.create_subprocess_exec("true"))
  keep(proc)
  await(proc:wait())
  fs.write_file("sweep.txt", "hello")
  local ok_f, f = pcall(function() return await(fs.open("sweep.txt", "r")) end)
  if ok_f then keep(f) end
  for _, name in ipairs({"Queue", "Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore",
                         "PriorityQueue", "LifoQueue", "TaskGroup", "Runner", "Barrier"}) do
    if asyncio[name] then
      local ok, v = pcall(asyncio[name], 2)
      if ok then keep(v) end
    end
  end

  -- Methods: every function of every metatable (and its __index table).
  local mt_list = {}
  for mt, name in pairs(metatables) do mt_list[#mt_list + 1] = {mt, name} end
  table.sort(mt_list, function(x, y) return x[2] < y[2] end)
  for _, e in ipairs(mt_list) do walk_mt(e[1], e[2]) end

  -- Wrong selves: plain values and an object of another type.
  local wrong = bad_values({{"Future", loop:create_future()}})
  local swept_methods, no_instance = 0, {}
  for _, tgt in ipairs(targets) do
    if tgt.mt and pending[tgt.name] then
      print("PENDING " .. tgt.name .. ": " .. pending[tgt.name])
    elseif tgt.mt then
      local inst = instances[tgt.mt]
      if inst == nil then no_instance[metatables[tgt.mt]] = true end
      swept_methods = swept_methods + 1
      -- without an instance, the method is still swept with wrong selves
      sweep_function(nil, tgt.name, tgt.fn, inst, wrong, true)
      if inst == nil then for _, v in ipairs(wrong) do call(tgt.name, tgt.fn, {v[2]}, 1, 1, true) end end
    elseif pending[tgt.name] then
      print("PENDING " .. tgt.name .. ": " .. pending[tgt.name])
    elseif not skip[tgt.name] then
      sweep_function(nil, tgt.name, tgt.fn, nil, wrong)
    end
  end
  if server.close then pcall(server.close, server) end
  pcall(writer.close, writer)
  local missing = {}
  for name in pairs(no_instance) do missing[#missing + 1] = name end
  table.sort(missing)
  print(("swept %d functions (%d module functions, %d methods of %d object types), %d calls: "
         .. "%d errors, %d successes, %d waited"):format(#targets, n_module_fns, swept_methods,
         #mt_list, calls, errors, successes, waits))
  if #missing > 0 then print("object types swept with wrong selves only (no instance): " .. table.concat(missing, ", ")) end
  local ws = {}
  for name in pairs(lua_wrong_self) do ws[#ws + 1] = name end
  table.sort(ws)
  if #ws > 0 then
    print(#ws .. " methods written in Lua give Lua's own message for a wrong self: " .. table.concat(ws, ", "))
  end
  return failures
end

local failures_out = asyncio.run(async(main)(), {clock = "virtual"})
collectgarbage()
if #failures_out > 0 then
  table.sort(failures_out)
  for _, f in ipairs(failures_out) do print("FAIL " .. f) end
  print(#failures_out .. " bad call(s)")
  os.exit(1)
end
print("ok")
