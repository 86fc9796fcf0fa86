-- Tests for async/await (runtime/core/coro.cpp): awaiting coroutine objects,
-- tasks, futures and __await objects; results; error messages.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

-- Records the order in which things happen.
local function logger()
  local log = {}
  return log, function(x) log[#log + 1] = x end
end

T.test("awaiting a coroutine object runs it inline, without a task switch", function()
  local log, add = logger()
  local other = asyncio.create_task(async(function() add("other task") end)())
  local leaf = async(function(x) add("leaf " .. x); return x end)
  local middle = async(function()
    add("middle")
    return await(leaf(1)) + await(leaf(2))
  end)
  T.eq(await(middle()), 3)
  add("main")
  -- The other task was ready all along, but nothing yielded to the loop.
  T.eq(log, {"middle", "leaf 1", "leaf 2", "main"})
  await(asyncio.sleep(0))
  T.eq(log, {"middle", "leaf 1", "leaf 2", "main", "other task"})
  T.ok(other:done())
end)

T.test("an inline await runs in the awaiting task", function()
  local me = asyncio.current_task()
  local seen = await(async(function() return asyncio.current_task() end)())
  T.ok(rawequal(seen, me), "current_task() inside the awaited coroutine is the caller's task")
end)

T.test("all return values of an awaited coroutine, nils included", function()
  local f = async(function() return 1, nil, "three", nil end)
  local packed = table.pack(await(f()))
  T.eq(packed.n, 4)
  T.eq(packed[1], 1)
  T.eq(packed[2], nil)
  T.eq(packed[3], "three")
  local none = table.pack(await(async(function() end)()))
  T.eq(none.n, 0, "a coroutine returning nothing gives no values")
end)

T.test("arguments are captured when the coroutine object is made", function()
  local f = async(function(...) return select("#", ...), ... end)
  local c = f("a", nil, "c")
  local packed = table.pack(await(c))
  T.eq(packed.n, 4)
  T.eq(packed[1], 3)
  T.eq(packed[2], "a")
  T.eq(packed[3], nil)
  T.eq(packed[4], "c")
end)

T.test("a coroutine object may have many arguments", function()
  local t = {}
  for i = 1, 200 do t[i] = i end
  local f = async(function(...) return select("#", ...), (select(200, ...)) end)
  local n, last = await(f(table.unpack(t, 1, 200)))
  T.eq(n, 200)
  T.eq(last, 200)
end)

T.test("await of a Task returns all its results", function()
  local t = asyncio.create_task(async(function()
    await(asyncio.sleep(2))
    return "x", nil, 3
  end)())
  local packed = table.pack(await(t))
  T.eq(packed.n, 3)
  T.eq(packed[1], "x")
  T.eq(packed[3], 3)
  T.eq(now(), 2.0)
  T.eq(select("#", await(t)), 3, "a done task can be awaited again")
end)

T.test("await of a Future suspends until it is resolved", function()
  local f = asyncio.Future()
  asyncio.get_running_loop():call_later(1.5, function() f:set_result("a", "b") end)
  local a, b = await(f)
  T.eq(a, "a")
  T.eq(b, "b")
  T.eq(now(), 1.5)
end)

T.test("await of a done Future returns at once, without yielding", function()
  local log, add = logger()
  local f = asyncio.Future()
  f:set_result(42)
  asyncio.create_task(async(function() add("other") end)())
  T.eq(await(f), 42)
  add("after await")
  T.eq(log, {"after await"})
end)

T.test("a Future may be awaited by several tasks", function()
  local f = asyncio.Future()
  local function waiter() return asyncio.create_task(async(function() return await(f) * 2 end)()) end
  local a, b = waiter(), waiter()
  await(asyncio.sleep(1))
  f:set_result(21)
  T.eq(await(a), 42)
  T.eq(await(b), 42)
end)

T.test("await of a value whose metatable has __await", function()
  local mt = {__await = function(self) return asyncio.sleep(self.d, self.v) end}
  local obj = setmetatable({d = 2, v = "done"}, mt)
  T.eq(await(obj), "done")
  T.eq(now(), 2.0)
  -- __await may return a future, a task, or another __await object.
  local f = asyncio.Future()
  f:set_result("from future")
  T.eq(await(setmetatable({}, {__await = function() return f end})), "from future")
  local nested = setmetatable({}, {__await = function() return obj end})
  T.eq(await(nested), "done")
  T.eq(now(), 4.0)
end)

T.test("__await receives the object and its result is awaited once", function()
  local calls = 0
  local mt = {}
  mt.__await = function(self)
    calls = calls + 1
    T.ok(getmetatable(self) == mt, "__await gets the object itself")
    return async(function() return "r1", "r2" end)()
  end
  local a, b = await(setmetatable({}, mt))
  T.eq({a, b}, {"r1", "r2"})
  T.eq(calls, 1)
end)

T.test("an __await that returns a non-awaitable raises a clear error", function()
  local obj = setmetatable({}, {__await = function() return 42 end})
  T.raises("awaitable.*got number", function() await(obj) end)
end)

T.test("awaiting nil names the problem", function()
  local err = T.raises("bad argument #1 to '[%w.]*await'", function() await(nil) end)
  T.ok(tostring(err):find("awaitable", 1, true), tostring(err))
  T.ok(tostring(err):find("got nil", 1, true), tostring(err))
end)

T.test("awaiting a non-awaitable value names its type", function()
  for _, v in ipairs({42, "str", {}, true, function() end}) do
    local err = T.raises("awaitable", function() await(v) end)
    T.ok(tostring(err):find("got " .. type(v), 1, true), tostring(err))
  end
end)

T.test("awaiting a coroutine function (not called) says to call it", function()
  local f = async(function() end)
  local err = T.raises("coroutine function", function() await(f) end)
  T.ok(tostring(err):find("await(f())", 1, true), tostring(err))
  T.raises("coroutine function", function() await(asyncio.sleep) end)
end)

T.test("await without an argument raises", function()
  T.raises("bad argument #1 to '[%w.]*await' %(awaitable.*expected", function() await() end)
end)

T.test("awaiting a coroutine object twice raises", function()
  local f = async(function() return 1 end)
  local c = f()
  T.eq(await(c), 1)
  local err = T.raises("already awaited", function() await(c) end)
  T.ok(tostring(err):find("runs once", 1, true), tostring(err))
end)

T.test("a coroutine object scheduled as a task cannot be awaited", function()
  local c = async(function() return 1 end)()
  local t = asyncio.create_task(c)
  T.raises("already awaited", function() await(c) end)
  T.eq(await(t), 1)
end)

T.test("await inside a plain Lua coroutine within a task raises", function()
  local s = asyncio.sleep(0)
  local co = coroutine.create(function() return await(s) end)
  local ok, err = coroutine.resume(co)
  s:close()
  T.ok(not ok)
  T.ok(tostring(err):find("outside an async function", 1, true), tostring(err))
end)

T.test("await inside a loop callback raises", function()
  local f = asyncio.Future()
  asyncio.get_running_loop():call_soon(function()
    local ok, err = pcall(await, asyncio.Future())
    f:set_result(ok, tostring(err))
  end)
  local ok, err = await(f)
  T.eq(ok, false)
  T.ok(err:find("outside an async function", 1, true), err)
end)

T.test("an error inside an awaited coroutine propagates as the same value", function()
  local E = setmetatable({code = 7}, {__tostring = function() return "E7" end})
  local inner = async(function() error(E) end)
  local middle = async(function() return await(inner()) end)
  local ok, err = pcall(await, middle())
  T.ok(not ok)
  T.ok(rawequal(err, E), "the very table")
end)

T.test("to-be-closed variables in an awaited coroutine may await when closed", function()
  local log, add = logger()
  local res = async(function()
    local r <close> = setmetatable({}, {__close = function()
      add("closing at " .. now())
      await(asyncio.sleep(1))
      add("closed at " .. now())
    end})
    add("body")
    return "r"
  end)
  T.eq(await(res()), "r")
  T.eq(log, {"body", "closing at 0.0", "closed at 1.0"})
end)

T.test("await works inside pcall and xpcall inside a task", function()
  local ok, v = pcall(await, asyncio.sleep(1, "p"))
  T.eq({ok, v}, {true, "p"})
  ok, v = xpcall(function() return await(asyncio.sleep(1, "x")) end, debug.traceback)
  T.eq({ok, v}, {true, "x"})
  T.eq(now(), 2.0)
end)

T.test("asyncio.async and asyncio.await are the globals", function()
  T.ok(rawequal(async, asyncio.async))
  T.ok(rawequal(await, asyncio.await))
  T.ok(rawequal(require("asyncio"), asyncio))
end)

T.test("async() of a non-function raises", function()
  T.raises("bad argument #1 to '[%w.]*async' %(function expected, got number%)", asyncio.async, 5)
  T.raises("already a coroutine function", asyncio.async, async(function() end))
end)

T.done()
