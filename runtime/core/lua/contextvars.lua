-- contextvars.lua: asyncio.ContextVar, asyncio.Context, asyncio.copy_context
-- (Python's contextvars module, as asyncio uses it).
--
--   local request_id = asyncio.ContextVar("request_id", {default = "-"})
--   local token = request_id:set("r1")   -- in this task (and tasks it creates later)
--   print(request_id:get())              -- "r1"
--   request_id:reset(token)              -- back to what it was
--
-- A context maps variables to values. Each task has its own: create_task
-- copies the creator's current context at creation (or runs the task in the
-- Context given as the option `context`), so a value set in a task is seen
-- by that task and the tasks it creates afterwards, never by its parent or
-- siblings. Outside tasks (the main chunk, loop callbacks) there is one base
-- context per Lua state.
--
-- Representation (shared with the core, see push_current_context in
-- task.h): a task's context slot, or the base context, holds nil (empty), a
-- map {[var] = value} that is never modified once made (so copying is
-- sharing; set() makes a new map, like the HAMT of CPython), or a Context
-- object (a table with this file's metatable, its current map in _data),
-- while the task runs in that object (ctx:run, or create_task's option).
local asyncio = ...

local LookupError = asyncio.LookupError
local slot = asyncio._context -- slot() -> current, task|false; slot(v) replaces it
local check_options = asyncio._check_options

local EMPTY = setmetatable({}, {__newindex = function() error("internal: the empty context map is read-only") end})
local NIL = setmetatable({}, {__tostring = function() return "nil" end}) -- a variable set to nil
local MISSING = {} -- a token's old value when the variable had none

local Context = {__name = "asyncio.Context"}
Context.__index = Context
local ContextVar = {__name = "asyncio.ContextVar"}
ContextVar.__index = ContextVar
local Token = {__name = "asyncio.Token"}
Token.__index = Token

-- The current map, and the Context object that holds it (nil when the map
-- belongs to the task or the base context directly), and the task (or
-- false) whose context it is.
local function current()
  local v, task = slot()
  if v == nil then return EMPTY, nil, task end
  if getmetatable(v) == Context then return rawget(v, "_data") or EMPTY, v, task end
  return v, nil, task
end

-- Makes `map` (a new map) the current one, where the current one lives.
local function replace(ctx, map)
  if ctx ~= nil then rawset(ctx, "_data", map) else slot(map) end
end

-- A copy of `map` with var set to value (nil: removed).
local function with(map, var, value)
  local new = {}
  for k, v in next, map do new[k] = v end
  new[var] = value
  return new
end

local function check_var(self, fname)
  if getmetatable(self) ~= ContextVar then
    error("bad self to '" .. fname .. "' (ContextVar expected; call it with ':')", 3)
  end
end

---------------------------------------------------------------- ContextVar

--[[
asyncio.ContextVar(name [, {default = value}]): a context variable. Its
value depends on the task that reads it (see the top of this file).
--]]
function asyncio.ContextVar(name, opts)
  if type(name) ~= "string" then
    error("bad argument #1 to 'ContextVar' (string expected, got " .. type(name) .. ")", 2)
  end
  local has_default = false
  local default
  if check_options(opts, "ContextVar", {"default"}, 2) then
    -- {default = nil} is no default, as a Lua table cannot tell the two apart.
    default = opts.default
    has_default = default ~= nil
  end
  return setmetatable({name = name, _default = default, _has_default = has_default}, ContextVar)
end

--[[
var:get([default]) -> the variable's value in the current context; if it
has none: `default` when given, else the variable's default, else raises
asyncio.LookupError.
--]]
function ContextVar:get(...)
  check_var(self, "get")
  local v = (current())[self]
  if v ~= nil then
    if v == NIL then return nil end
    return v
  end
  if select("#", ...) > 0 then return (...) end
  if self._has_default then return self._default end
  error(LookupError(tostring(self)), 2)
end

--[[
var:set(value) -> token: sets the variable in the current context (nil is a
value too); `var:reset(token)` puts back what it was before.
--]]
function ContextVar:set(value)
  check_var(self, "set")
  local map, ctx, task = current()
  local old = map[self]
  replace(ctx, with(map, self, value == nil and NIL or value))
  return setmetatable({
    var = self,
    old_value = old == nil and MISSING or old,
    _holder = ctx or task,
    _used = false,
  }, Token)
end

--[[
var:reset(token): restores the value the variable had before the set() that
made `token`, in the same context. A token works once.
--]]
function ContextVar:reset(token)
  check_var(self, "reset")
  if getmetatable(token) ~= Token then
    error("bad argument #1 to 'reset' (Token expected, got " .. type(token) .. ")", 2)
  end
  if token._used then error("Token has already been used once", 2) end
  if token.var ~= self then error("Token was created by a different ContextVar", 2) end
  local map, ctx, task = current()
  if token._holder ~= (ctx or task) then error("Token was created in a different Context", 2) end
  token._used = true
  local old = token.old_value
  replace(ctx, with(map, self, old ~= MISSING and old or nil))
end

function ContextVar:__tostring()
  local d = self._has_default and (" default=" .. tostring(self._default)) or ""
  return "<ContextVar name='" .. self.name .. "'" .. d .. ">"
end

function Token:__tostring()
  return "<Token" .. (self._used and " used" or "") .. " var=" .. tostring(self.var) .. ">"
end

-- The value before set(), or asyncio.Token.MISSING.
asyncio.Token = {MISSING = MISSING}

---------------------------------------------------------------- Context

-- asyncio.Context(): a new, empty context.
function asyncio.Context()
  return setmetatable({_data = EMPTY, _entered = false}, Context)
end

-- asyncio.copy_context() -> a Context holding the current values.
function asyncio.copy_context()
  return setmetatable({_data = (current()), _entered = false}, Context)
end

local function check_ctx(self, fname)
  if getmetatable(self) ~= Context then
    error("bad self to '" .. fname .. "' (Context expected; call it with ':')", 3)
  end
end

-- ctx:copy() -> another Context with the same values.
function Context:copy()
  check_ctx(self, "copy")
  return setmetatable({_data = self._data, _entered = false}, Context)
end

-- ctx:get(var [, default]) -> the value of var in ctx (or default).
function Context:get(var, default)
  check_ctx(self, "get")
  local v = self._data[var]
  if v == nil then return default end
  if v == NIL then return nil end
  return v
end

-- for var, value in ctx:items() do ... end
function Context:items()
  check_ctx(self, "items")
  local data, k = self._data, nil
  return function()
    local v
    k, v = next(data, k)
    if k == nil then return nil end
    if v == NIL then v = nil end
    return k, v
  end
end

-- Restores the context that was current before ctx:run().
local Leave = {__close = function(g)
  g.ctx._entered = false
  slot(g.previous)
end}

--[[
ctx:run(fn, ...) -> fn's results: calls fn in the context ctx: what fn
sets goes into ctx (and tasks fn creates copy ctx). A context can be
entered only once at a time.
--]]
function Context:run(fn, ...)
  check_ctx(self, "run")
  local mt = getmetatable(fn)
  if type(fn) ~= "function" and not (type(mt) == "table" and rawget(mt, "__call")) then
    error("bad argument #1 to 'run' (function expected, got " .. type(fn) .. ")", 2)
  end
  if self._entered then
    error("cannot enter context: " .. tostring(self) .. " is already entered", 2)
  end
  local previous = slot()
  self._entered = true
  slot(self)
  local _ <close> = setmetatable({ctx = self, previous = previous}, Leave)
  return fn(...)
end

function Context:__tostring()
  local n = 0
  for _ in next, self._data do n = n + 1 end
  return "<Context vars=" .. n .. (self._entered and " entered" or "") .. ">"
end
