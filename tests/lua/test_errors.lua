-- Tests for the error classes (runtime/core/lua/errors.lua) and for error values
-- crossing awaits and tasks.
local T = require("testlib")

local classes = {"CancelledError", "TimeoutError", "InvalidStateError",
                 "ExceptionGroup", "QueueEmpty", "QueueFull"}

T.test("every error class exists and is callable", function()
  for _, name in ipairs(classes) do
    local cls = asyncio[name]
    T.ok(cls ~= nil, name .. " exists")
    local e = name == "ExceptionGroup" and cls("msg", {}) or cls("msg")
    T.eq(type(e), "table")
    T.eq(e.message, "msg")
    T.ok(cls:is(e), name .. ":is(instance)")
  end
end)

T.test("tostring is 'Name: message', or just 'Name' without a message", function()
  T.eq(tostring(asyncio.TimeoutError("slow")), "TimeoutError: slow")
  T.eq(tostring(asyncio.CancelledError("bye")), "CancelledError: bye")
  T.eq(tostring(asyncio.InvalidStateError("state")), "InvalidStateError: state")
  T.eq(tostring(asyncio.QueueEmpty("empty")), "QueueEmpty: empty")
  T.eq(tostring(asyncio.QueueFull("full")), "QueueFull: full")
  T.eq(tostring(asyncio.TimeoutError()), "TimeoutError")
  T.eq(tostring(asyncio.CancelledError()), "CancelledError")
end)

T.test("Class:is tells the classes apart", function()
  local t = asyncio.TimeoutError("x")
  T.ok(asyncio.TimeoutError:is(t))
  T.ok(not asyncio.CancelledError:is(t))
  T.ok(not asyncio.InvalidStateError:is(t))
  T.ok(not asyncio.TimeoutError:is(asyncio.CancelledError()))
  T.ok(not asyncio.QueueEmpty:is(asyncio.QueueFull()))
end)

T.test("Class:is is false for values that are not instances", function()
  for _, v in ipairs({"TimeoutError: x", 42, true, {}, {message = "x"}, print}) do
    T.eq(asyncio.TimeoutError:is(v), false, "value " .. tostring(v))
  end
  T.eq(asyncio.TimeoutError:is(nil), false)
  T.eq(asyncio.TimeoutError:is(asyncio.TimeoutError), false, "the class is not its own instance")
end)

T.test("instances are plain tables that can carry fields", function()
  local e = asyncio.TimeoutError("slow", {url = "http://x", attempt = 3})
  T.eq(e.url, "http://x")
  T.eq(e.attempt, 3)
  T.eq(e.message, "slow")
end)

T.test("user subclasses: extend", function()
  local MyError = asyncio.TimeoutError:extend("MyError")
  local e = MyError("mine")
  T.eq(tostring(e), "MyError: mine")
  T.ok(MyError:is(e))
  T.ok(asyncio.TimeoutError:is(e), "a subclass instance is an instance of its parent")
  T.ok(not MyError:is(asyncio.TimeoutError("x")))
end)

T.test("ExceptionGroup holds its errors in .exceptions", function()
  local a, b = asyncio.TimeoutError("a"), "plain"
  local g = asyncio.ExceptionGroup("several", {a, b})
  T.ok(asyncio.ExceptionGroup:is(g))
  T.eq(#g.exceptions, 2)
  T.ok(rawequal(g.exceptions[1], a))
  T.eq(g.exceptions[2], "plain")
  T.eq(g.message, "several")
  local s = tostring(g)
  T.ok(s:find("^ExceptionGroup: several"), s)
  T.ok(s:find("TimeoutError: a", 1, true), s)
end)

T.test("ExceptionGroup needs a table of errors", function()
  T.raises("bad argument #2 to 'ExceptionGroup' %(table of errors expected, got nil%)",
    asyncio.ExceptionGroup, "msg")
end)

T.test("an ExceptionGroup comes out of a TaskGroup", function()
  local ok, err = pcall(function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(async(function() error("one", 0) end)())
    tg:create_task(async(function() error(asyncio.TimeoutError("two")) end)())
  end)
  T.eq(ok, false)
  T.ok(asyncio.ExceptionGroup:is(err), tostring(err))
  T.eq(#err.exceptions, 2)
end)

-- Error values cross any number of awaits and tasks unchanged.
local raise = async(function(v) await(asyncio.sleep(1)); error(v, 0) end)
local through
through = async(function(n, v)
  if n == 0 then return await(raise(v)) end
  return await(asyncio.create_task(async(function() return await(through(n - 1, v)) end)()))
end)

T.test("a table error crosses awaits and tasks as the very same table", function()
  local E = {code = 42}
  local ok, err = pcall(await, through(3, E))
  T.eq(ok, false)
  T.ok(rawequal(err, E), "identity kept")
  T.eq(err.code, 42)
  T.eq(getmetatable(err), nil, "not wrapped")
end)

T.test("a string error crosses unchanged", function()
  local ok, err = pcall(await, through(3, "just a string"))
  T.eq({ok, err}, {false, "just a string"})
end)

T.test("a number error crosses unchanged", function()
  local ok, err = pcall(await, through(2, 404))
  T.eq({ok, err}, {false, 404})
  T.eq(math.type(err), "integer")
  ok, err = pcall(await, through(1, 1.5))
  T.eq(err, 1.5)
end)

T.test("an error instance crosses unchanged", function()
  local E = asyncio.InvalidStateError("custom")
  local ok, err = pcall(await, through(2, E))
  T.ok(not ok and rawequal(err, E))
end)

T.test("a boolean false error crosses unchanged", function()
  local ok, err = pcall(await, through(1, false))
  T.eq(ok, false)
  T.eq(err, false)
end)

T.test("an error with a __tostring that fails still crosses unchanged", function()
  local E = setmetatable({}, {__tostring = function() error("nope") end})
  local ok, err = pcall(await, through(1, E))
  T.ok(not ok and rawequal(err, E))
end)

T.test("error() with a position keeps the position of the raise", function()
  local f = async(function() error("located") end)
  local line = debug.getinfo(1, "l").currentline - 1
  local ok, err = pcall(await, asyncio.create_task(f()))
  T.eq(ok, false)
  T.eq(err, debug.getinfo(1, "S").short_src .. ":" .. line .. ": located")
end)

T.test("an error in a done callback is logged and the loop goes on", function()
  local f = asyncio.Future()
  local log = {}
  f:add_done_callback(function() error("callback failed") end)
  f:add_done_callback(function() log[#log + 1] = "second callback ran" end)
  f:set_result()
  await(asyncio.sleep(0))
  T.eq(log, {"second callback ran"})
  T.eq(await(asyncio.sleep(1, "loop alive")), "loop alive")
end)

T.test("an error in a call_soon callback is logged and the loop goes on", function()
  local loop = asyncio.get_running_loop()
  local ran = false
  loop:call_soon(function() error({}) end)
  loop:call_soon(function() ran = true end)
  await(asyncio.sleep(0))
  T.eq(ran, true)
end)

T.test("a failed task does not disturb the others", function()
  local bad = asyncio.create_task(async(function() error("bad", 0) end)())
  local good = asyncio.create_task(asyncio.sleep(1, "good"))
  T.eq(await(good), "good")
  T.eq(bad:exception(), "bad")
end)

T.test("errors raised by the runtime are error instances", function()
  local f = asyncio.Future()
  local err = T.raises(asyncio.InvalidStateError, f.result, f)
  T.ok(asyncio.Error:is(err), "InvalidStateError derives from asyncio.Error")
  T.ok(asyncio.Error:is(asyncio.TimeoutError()), "TimeoutError derives from asyncio.Error")
  T.ok(not asyncio.Error:is(asyncio.CancelledError()),
    "CancelledError is not an ordinary Error (Python: BaseException)")
end)

T.done()
