-- testlib.lua: a tiny test library for the Lua-level tests.
--
--   local T = require("testlib")
--   T.test("gather of sleeps", function()
--     local loop = asyncio.get_running_loop()
--     await(asyncio.gather(asyncio.sleep(1), asyncio.sleep(2)))
--     T.eq(loop:time(), 2.0)
--   end)
--   T.done()
--
-- Each test body is run as the main coroutine of its own
-- `asyncio.run(..., {clock = "virtual"})`, so it may await, time is exact,
-- and no state leaks between tests. A failing assertion (or any error)
-- ends the test; the failure is reported with the test's name and a
-- traceback taken where the error was raised. `T.done()` prints
-- "N passed, M failed" and exits with status 1 if anything failed.
-- An optional command-line argument runs only tests whose name contains it.
local asyncio = require("asyncio")

local T = {}

local passed, failed = 0, 0
local failures = {}
local filter = arg and arg[1] or nil

-- A readable rendering of a value for failure messages.
local function repr(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or getmetatable(v) ~= nil or depth > 2 then return tostring(v) end
  local parts, n = {}, 0
  for k, x in pairs(v) do
    n = n + 1
    if n > 20 then parts[#parts + 1] = "..."; break end
    local key = (math.type(k) == "integer") and ("[" .. k .. "]") or tostring(k)
    parts[#parts + 1] = key .. "=" .. repr(x, depth + 1)
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end
T.repr = repr

-- Structural equality: plain tables (no metatable) compare by contents,
-- everything else with ==.
local function equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  if getmetatable(a) ~= nil or getmetatable(b) ~= nil then return false end
  for k, v in pairs(a) do
    if not equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function fail(msg, level)
  error(msg, level + 1)
end

-- T.eq(actual, expected [, msg]): structural equality.
function T.eq(a, b, msg)
  if not equal(a, b) then
    fail(string.format("%sexpected %s, got %s", msg and (msg .. ": ") or "",
      repr(b), repr(a)), 2)
  end
end

-- T.ok(cond [, msg]): cond must be truthy.
function T.ok(cond, msg)
  if not cond then fail(msg or "expected a true value, got " .. repr(cond), 2) end
end

-- T.near(actual, expected [, eps [, msg]]): |actual - expected| <= eps
-- (eps defaults to 1e-9).
function T.near(a, b, eps, msg)
  eps = eps or 1e-9
  if type(a) ~= "number" or math.abs(a - b) > eps then
    fail(string.format("%sexpected %s (+-%g), got %s", msg and (msg .. ": ") or "",
      tostring(b), eps, repr(a)), 2)
  end
end

--[[
T.raises(classOrPattern, fn, ...) -> err
Calls fn(...) (it may await) and requires it to raise: an instance of the
error class (anything with an `is` method, e.g. asyncio.TimeoutError), or an
error whose tostring matches the Lua pattern. Returns the error raised.
--]]
function T.raises(expected, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then
    fail("expected an error matching " .. tostring(expected) .. ", but none was raised", 2)
  end
  if type(expected) == "table" and type(expected.is) == "function" then
    if not expected:is(err) then
      fail("expected " .. tostring(expected) .. ", got error " .. repr(err), 2)
    end
  elseif type(expected) == "string" then
    if not string.find(tostring(err), expected) then
      fail("expected an error matching " .. string.format("%q", expected)
        .. ", got " .. repr(err), 2)
    end
  else
    error("bad argument #1 to 'raises' (error class or pattern expected, got "
      .. type(expected) .. ")", 2)
  end
  return err
end

--[[
T.test(name, fn)
Runs fn() as the body of `asyncio.run(asyncio.async(fn)(), {clock = "virtual"})`
and records a pass or a failure. `fn` may also be a coroutine function
(made with async), which is then called and awaited.
--]]
function T.test(name, fn)
  if filter and not string.find(name, filter, 1, true) then return end
  local traceback
  -- Records where the error happened; returns the error itself unchanged,
  -- because to-be-closed variables see the handler's result while unwinding.
  local function handler(e)
    traceback = debug.traceback(tostring(e), 2)
    return e
  end
  -- Drops the frames of this library and of the test runner from a traceback.
  local function trim(tb)
    local out = {}
    for line in tb:gmatch("[^\n]+") do
      if line:find("in function 'xpcall'", 1, true) then break end
      if not line:find("testlib.lua", 1, true) and line ~= "\t[C]: in function 'error'" then
        out[#out + 1] = line
      end
    end
    return table.concat(out, "\n")
  end
  local body = fn
  if asyncio.iscoroutinefunction(fn) then
    body = function() return asyncio.await(fn()) end -- already async(...)
  end
  local main = asyncio.async(function() return xpcall(body, handler) end)
  local ok, body_ok, err = pcall(asyncio.run, main(), {clock = "virtual"})
  if ok and body_ok then
    passed = passed + 1
    print("ok     " .. name)
    return
  end
  failed = failed + 1
  local report
  if not ok then
    -- The body completed (or was never reached) but asyncio.run failed.
    report = "asyncio.run raised: " .. tostring(body_ok)
  else
    report = traceback and trim(traceback) or tostring(err)
  end
  failures[#failures + 1] = {name = name, report = report}
  print("FAILED " .. name)
  print("    " .. report:gsub("\n", "\n    "))
end

-- T.done(): prints the summary; exits with status 1 if a test failed.
function T.done()
  if failed > 0 then
    print("\nFailures:")
    for _, f in ipairs(failures) do print("  " .. f.name) end
  end
  print(string.format("%d passed, %d failed", passed, failed))
  if failed > 0 then os.exit(1) end
end

return T
