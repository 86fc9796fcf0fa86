-- errors.lua: asyncio's error classes.
--
-- An error class is a callable table: `asyncio.TimeoutError("slow")` makes an
-- instance (a table with field `message`), `asyncio.TimeoutError:is(err)` tells
-- whether a caught error value is an instance of that class or of a subclass,
-- and `tostring(err)` reads `TimeoutError: slow` (just `TimeoutError` without a
-- message). Instances are plain tables, so they cross any number of awaits
-- unchanged and can carry extra fields.
local asyncio = ...

local classes = {}

local function instance_tostring(e)
  local cls = getmetatable(e)
  local msg = rawget(e, "message")
  if msg == nil or msg == "" then return cls.__name end
  return cls.__name .. ": " .. tostring(msg)
end

local class_mt = {}
class_mt.__index = function(cls, key)
  local parent = rawget(cls, "__parent")
  return parent and parent[key] or nil
end
class_mt.__call = function(cls, message, fields)
  local e = {}
  if fields ~= nil then
    for k, v in pairs(fields) do e[k] = v end
  end
  e.message = message
  return setmetatable(e, cls)
end
class_mt.__tostring = function(cls) return "<class '" .. cls.__name .. "'>" end

-- Defines a new error class `name`, optionally derived from `parent`.
local function define(name, parent)
  local cls = {__name = name, __parent = parent, __tostring = instance_tostring}
  cls.__index = cls
  classes[name] = cls
  return setmetatable(cls, class_mt)
end

-- `Class:is(err)`: is `err` an instance of Class or of a class derived from it?
local function is(cls, err)
  if type(err) ~= "table" then return false end
  local mt = getmetatable(err)
  while mt ~= nil do
    if rawequal(mt, cls) then return true end
    mt = rawget(mt, "__parent")
  end
  return false
end

-- `Class:extend(name)`: a subclass, for user code that wants its own errors.
local function extend(cls, name) return define(name, cls) end

local function base(name, parent)
  local cls = define(name, parent)
  cls.is = is
  cls.extend = extend
  return cls
end

asyncio.Error = base("Error")
asyncio.CancelledError = base("CancelledError")
asyncio.TimeoutError = base("TimeoutError", asyncio.Error)
asyncio.InvalidStateError = base("InvalidStateError", asyncio.Error)
asyncio.QueueEmpty = base("QueueEmpty", asyncio.Error)
asyncio.QueueFull = base("QueueFull", asyncio.Error)
-- Queue:shutdown() (Python 3.13): put/get on a shut-down queue.
asyncio.QueueShutDown = base("QueueShutDown", asyncio.Error)
-- Barrier:wait() on a barrier that was aborted or reset (Python 3.11).
asyncio.BrokenBarrierError = base("BrokenBarrierError", asyncio.Error)
-- ContextVar:get() of a variable with no value and no default.
asyncio.LookupError = base("LookupError", asyncio.Error)
-- What asyncio.run raises when Ctrl-C interrupted the program (like
-- Python's, not an asyncio.Error).
asyncio.KeyboardInterrupt = base("KeyboardInterrupt")

-- ExceptionGroup(message, exceptions): `.exceptions` is an array of the errors.
local ExceptionGroup = base("ExceptionGroup", asyncio.Error)
asyncio.ExceptionGroup = ExceptionGroup
local plain_call = class_mt.__call
ExceptionGroup.__tostring = function(e)
  local n = #e.exceptions
  local parts = {}
  for i = 1, n do parts[i] = tostring(e.exceptions[i]) end
  return string.format("ExceptionGroup: %s (%d sub-exception%s: %s)",
    tostring(e.message or ""), n, n == 1 and "" or "s", table.concat(parts, "; "))
end
setmetatable(ExceptionGroup, {
  __index = class_mt.__index,
  __tostring = class_mt.__tostring,
  __call = function(cls, message, exceptions)
    if type(exceptions) ~= "table" then
      error("bad argument #2 to 'ExceptionGroup' (table of errors expected, got "
        .. type(exceptions) .. ")", 2)
    end
    local e = plain_call(cls, message)
    e.exceptions = exceptions
    return e
  end,
})
