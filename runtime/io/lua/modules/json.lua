-- json.lua: require("asyncio.json"), JSON encoding and decoding.
--
--   local json = require("asyncio.json")
--   json.encode({a = 1, list = {1, 2, 3}})   --> '{"a":1,"list":[1,2,3]}'
--   json.decode('{"a": [1, null]}')          --> {a = {1, json.null}}
--
-- Decoding is jansson's (a Debian package); encoding writes object keys in
-- sorted order, so the text is deterministic. JSON null is `json.null`
-- (nil also encodes as null). An empty table encodes as `{}`; wrap it with
-- `json.array(t)` to get `[]`. Malformed input raises `json.JSONDecodeError`
-- with fields `line`, `column` and `position`.
local asyncio = ...
local native = require("asyncio._json")

local json = {}

json.null = native.null

json.JSONDecodeError = asyncio.Error:extend("JSONDecodeError")

local array_mt = {__jsontype = "array"}
local object_mt = {__jsontype = "object"}

-- json.array(t): marks t (default: a new table) to encode as a JSON array.
function json.array(t)
  return setmetatable(t or {}, array_mt)
end

-- json.object(t): marks t (default: a new table) to encode as a JSON object.
function json.object(t)
  return setmetatable(t or {}, object_mt)
end

-- json.encode(value) -> string. Raises on values JSON cannot represent
-- (functions, NaN, strings that are not UTF-8, tables containing themselves).
function json.encode(value)
  return native.encode(value)
end

-- json.decode(text) -> value. Raises json.JSONDecodeError on malformed text.
function json.decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local value, msg, line, column, position = native.decode(text)
  if value == nil then
    local snippet = text:sub(1, 40):gsub("%c", " ")
    if #text > 40 then snippet = snippet .. "..." end
    error(json.JSONDecodeError(string.format("malformed JSON: %s (line %d, column %d) in %q",
      msg, line, column, snippet), {line = line, column = column, position = position}), 2)
  end
  return value
end

return json
