-- Regression tests for the error discipline of Lua's C build (issue 11;
-- docs/internals.md "Errors and yields are longjmps"): a Lua error unwinds
-- C++ frames without running their destructors, so state to undo lives in
-- to-be-closed values (runtime/bind/scope.h) and no C++ object that owns
-- memory is live across a raising call. Under the sanitizer build
-- (./dev.sh test) LeakSanitizer checks that the error paths below free
-- everything; here each also checks that the runtime still works after.
--
-- Most tests call asyncio.run themselves, so they run outside any loop with
-- the small runner S (as test_run.lua does).
local T = require("testlib")

local S = {passed = 0, failed = 0}

function S.test(name, fn)
  local ok, err = xpcall(fn, function(e) return debug.traceback(tostring(e), 2) end)
  if ok then
    S.passed = S.passed + 1
    print("ok     " .. name)
  else
    S.failed = S.failed + 1
    print("FAILED " .. name)
    print("    " .. tostring(err):gsub("\n", "\n    "))
  end
end

local VIRTUAL = {clock = "virtual"}

-- asyncio.run works, and no loop is left marked running.
local function runtime_still_works()
  T.raises("no running event loop", asyncio.get_running_loop)
  T.eq(asyncio.run(async(function()
    await(asyncio.sleep(1))
    return "next run works"
  end)(), VIRTUAL), "next run works")
end

S.test("a failed asyncio.run (main coroutine already awaited) leaves no loop running", function()
  local c = async(function() return 1 end)()
  T.eq(asyncio.run(c), 1)
  for _ = 1, 3 do
    T.raises("already awaited or scheduled", asyncio.run, c, VIRTUAL)
    runtime_still_works()
  end
end)

S.test("a run whose main task fails leaves no loop running", function()
  for _ = 1, 3 do
    T.raises("boom", asyncio.run, async(function()
      await(asyncio.sleep(1))
      error("boom")
    end)(), VIRTUAL)
    runtime_still_works()
  end
end)

S.test("a deadlocked run raises its message, leaves no loop running, leaks nothing", function()
  for _ = 1, 3 do
    local err = T.raises("^deadlock: ", asyncio.run, async(function()
      await(asyncio.Future())
    end)(), VIRTUAL)
    T.ok(tostring(err):find("nothing can ever wake it", 1, true), tostring(err))
    runtime_still_works()
  end
end)

S.test("a failed option check of asyncio.run leaves no loop running", function()
  for _ = 1, 3 do
    local c = async(function() end)()
    T.raises("bad option 'clock'", asyncio.run, c, {clock = "bogus"})
    c:close()
    runtime_still_works()
  end
end)

S.test("a task whose cancel handler raised once can still be cancelled later", function()
  asyncio.run(async(function()
    local fut = asyncio.Future()
    local calls = 0
    asyncio._set_cancel_handler(fut, function(f, msg)
      calls = calls + 1
      if calls == 1 then error("handler failed") end
      return asyncio._cancel_default(f, msg)
    end)
    local t = asyncio.create_task(async(function() return await(fut) end)())
    await(asyncio.sleep(0))
    T.raises("handler failed", t.cancel, t)
    T.eq(t:done(), false)
    T.eq(t:cancel("again"), true, "a second cancel() is accepted")
    local err = T.raises(asyncio.CancelledError, function() await(t) end)
    T.eq(err.message, "again")
    T.eq(t:cancelled(), true)
    T.eq(calls, 2)
  end)(), VIRTUAL)
  runtime_still_works()
end)

S.test("json.encode errors free their buffers and the runtime goes on", function()
  local json = require("asyncio.json")
  local nested = {a = {b = {c = {1, 2, {d = function() end}}}}, z = string.rep("x", 1000)}
  for _ = 1, 50 do
    T.raises("cannot encode to JSON: value of type function", json.encode, nested)
    T.raises("cannot encode to JSON: table key of type float", json.encode, {a = {[1.5] = 1}, b = string.rep("y", 100)})
    T.raises("cannot encode to JSON: nan is not a JSON number", json.encode, {x = {0 / 0}})
    T.raises("not valid UTF%-8", json.encode, {k = {"ok", "\xff"}})
    local self = {}
    self.me = self
    T.raises("nested too deeply", json.encode, self)
  end
  T.eq(json.encode({b = {1, 2}, a = "x"}), '{"a":"x","b":[1,2]}')
end)

S.test("spawning a program that does not exist raises and leaks nothing", function()
  asyncio.run(async(function()
    for _ = 1, 5 do
      local err = T.raises("ENOENT", function()
        await(asyncio.create_subprocess_exec("/nonexistent/luasync-no-such-program", "a", "b",
          {stdout = "pipe", stderr = "pipe"}))
      end)
      T.eq(err.code, "ENOENT")
    end
    local p = await(asyncio.create_subprocess_exec("true"))
    T.eq(await(p:wait()), 0, "spawning still works")
  end)(), VIRTUAL)
  runtime_still_works()
end)

S.test("Runner: a failed run leaves the runner usable", function()
  local runner <close> = asyncio.Runner(VIRTUAL)
  local c = async(function() return 1 end)()
  T.eq(runner:run(c), 1)
  T.raises("already awaited or scheduled", runner.run, runner, c)
  T.raises("deadlock", runner.run, runner, async(function() await(asyncio.Future()) end)())
  T.eq(runner:run(async(function() return "again" end)()), "again")
end)

-- A host or method longer than a std::string's inline buffer: a C++ string
-- copy of it left live across the raise would leak (LeakSanitizer).
local LONG = string.rep("x", 40)

S.test("http.serve with a bad host raises and leaks nothing", function()
  local http = require("asyncio.http")
  asyncio.run(async(function()
    for _ = 1, 3 do
      T.raises("bad host", function()
        await(http.serve(async(function() return "" end), {host = "no-such-address-" .. LONG}))
      end)
    end
    local server <close> = await(http.serve(async(function() return "" end), {host = "localhost"}))
    T.eq(type(server.port), "number", "serving still works")
  end)(), VIRTUAL)
  runtime_still_works()
end)

S.test("an HTTP request whose header list raises from __len leaks nothing", function()
  local native = require("asyncio._http")
  asyncio.run(async(function()
    local s = native.session({})
    local headers = setmetatable({}, {__len = function() error("no length here", 0) end})
    for _ = 1, 3 do
      T.raises("no length here", s.request, s, "CUSTOM-METHOD-" .. LONG, "http://127.0.0.1:1/", headers)
    end
    s:close()
  end)(), VIRTUAL)
  runtime_still_works()
end)

print(string.format("%d passed, %d failed", S.passed, S.failed))
if S.failed > 0 then os.exit(1) end
