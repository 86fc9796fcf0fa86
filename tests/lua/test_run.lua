-- Tests for asyncio.run (runtime/core/run.cpp): results, errors, options,
-- nesting, the cancellation of leftover tasks, the deadlock report.
--
-- Most of these call asyncio.run themselves, so they cannot run inside
-- T.test (which already runs its body in asyncio.run): they use the small
-- synchronous runner `S` below, whose failures count in the exit status too.
-- Checks that could crash the process run in a child luasync.
local T = require("testlib")

local S = {passed = 0, failed = 0}
local filter = arg and arg[1] or nil

-- S.test(name, fn): runs fn() outside any loop.
function S.test(name, fn)
  if filter and not string.find(name, filter, 1, true) then return end
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

-- Runs `code` in a child luasync (stdout and stderr together); returns
-- the exit status and the output.
local LUASYNC = arg and arg[-1]
local function child(code)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  local p = assert(io.popen(string.format("%q %q 2>&1", LUASYNC, path)))
  local out = p:read("a")
  local _, _, rc = p:close()
  os.remove(path)
  return rc, out
end

local VIRTUAL = {clock = "virtual"}

S.test("run returns every result of the main coroutine", function()
  local p = table.pack(asyncio.run(async(function()
    await(asyncio.sleep(1))
    return 1, nil, "three"
  end)(), VIRTUAL))
  T.eq(p.n, 3)
  T.eq({p[1], p[2], p[3]}, {1, nil, "three"})
  T.eq(select("#", asyncio.run(async(function() end)())), 0, "no results")
end)

S.test("run passes the arguments given to the coroutine function", function()
  local main = async(function(a, b) return b, a end)
  T.eq({asyncio.run(main("x", "y"))}, {"y", "x"})
end)

S.test("run raises the main coroutine's error value unchanged", function()
  local E = {code = 1}
  local ok, err = pcall(asyncio.run, async(function()
    await(asyncio.sleep(1))
    error(E)
  end)(), VIRTUAL)
  T.eq(ok, false)
  T.ok(rawequal(err, E))
  local ok2, err2 = pcall(asyncio.run, async(function() error("text", 0) end)())
  T.eq({ok2, err2}, {false, "text"})
end)

S.test("run raises CancelledError when the main task is cancelled", function()
  local ok, err = pcall(asyncio.run, async(function()
    asyncio.current_task():cancel("main cancelled")
    await(asyncio.sleep(1))
  end)(), VIRTUAL)
  T.eq(ok, false)
  T.ok(asyncio.CancelledError:is(err))
  T.eq(err.message, "main cancelled")
end)

S.test("run needs a coroutine object", function()
  local f = async(function() end)
  T.raises("call the async function", asyncio.run, f)
  T.raises("bad argument #1 to '[%w.]*run' %(coroutine object expected", asyncio.run)
  T.raises("coroutine object expected, got number", asyncio.run, 3)
  local c = f()
  asyncio.run(c)
  T.raises("already awaited or scheduled", asyncio.run, c)
end)

S.test("run validates its options with clear errors", function()
  local function try(opts)
    local c = async(function() return "ran" end)()
    local ok, err = pcall(asyncio.run, c, opts)
    c:close()
    T.eq(ok, false, "options " .. T.repr(opts))
    return tostring(err)
  end
  T.ok(try({debug = 1}):find("bad option 'debug' to 'run' (boolean expected, got number)", 1, true))
  T.ok(try({debug = "yes"}):find("boolean expected, got string", 1, true))
  T.ok(try({clock = "bogus"}):find([[bad option 'clock' to 'run' ("real" or "virtual" expected, got "bogus")]], 1, true))
  T.ok(try({clock = 1}):find("bad option 'clock' to 'run' (string expected, got number)", 1, true))
  T.ok(try(5):find("bad argument #2 to 'run' (table of options expected, got number)", 1, true))
end)

S.test("a failed option check leaves no loop running", function()
  local c = async(function() end)()
  pcall(asyncio.run, c, {clock = "bogus"})
  c:close()
  T.raises("no running event loop", asyncio.get_running_loop)
  T.eq(asyncio.run(async(function() return "next run works" end)()), "next run works")
end)

S.test("opts: debug and clock are applied", function()
  local debug_on, virtual, t0 = asyncio.run(async(function()
    local loop = asyncio.get_running_loop()
    return loop:get_debug(), loop:is_virtual(), loop:time()
  end)(), {debug = true, clock = "virtual"})
  T.eq({debug_on, virtual, t0}, {true, true, 0.0})
  local d2, v2 = asyncio.run(async(function()
    local loop = asyncio.get_running_loop()
    return loop:get_debug(), loop:is_virtual()
  end)(), {debug = false, clock = "real"})
  T.eq({d2, v2}, {false, false})
  local d3, v3 = asyncio.run(async(function()
    local loop = asyncio.get_running_loop()
    return loop:get_debug(), loop:is_virtual()
  end)())
  T.eq({d3, v3}, {false, false}, "defaults: no debug, real clock")
end)

S.test("each run has a fresh virtual clock starting at 0", function()
  local a = asyncio.run(async(function()
    await(asyncio.sleep(5))
    return asyncio.get_running_loop():time()
  end)(), VIRTUAL)
  local b = asyncio.run(async(function() return asyncio.get_running_loop():time() end)(), VIRTUAL)
  T.eq({a, b}, {5.0, 0.0})
end)

S.test("the loop is closed after run; get_running_loop raises outside", function()
  local loop = asyncio.run(async(function() return asyncio.get_running_loop() end)())
  T.eq(loop:is_closed(), true)
  T.eq(loop:is_running(), false)
  T.raises("closed", loop.time, loop)
  T.raises("no running event loop", asyncio.get_running_loop)
  T.raises("no running event loop", asyncio.current_task)
  T.raises("no running event loop", asyncio.all_tasks)
end)

S.test("leftover tasks are cancelled at the end, and their cleanup runs", function()
  local log = {}
  local result = asyncio.run(async(function()
    for i = 1, 3 do
      asyncio.create_task(async(function()
        local ok, err = pcall(await, asyncio.sleep(100))
        await(asyncio.sleep(1)) -- cleanup may await
        log[#log + 1] = {i, ok, tostring(err), asyncio.get_running_loop():time()}
        error(err, 0)
      end)())
    end
    await(asyncio.sleep(1))
    return "main done"
  end)(), VIRTUAL)
  T.eq(result, "main done")
  table.sort(log, function(a, b) return a[1] < b[1] end) -- any order, as in Python
  T.eq(log, {{1, false, "CancelledError", 2.0}, {2, false, "CancelledError", 2.0},
             {3, false, "CancelledError", 2.0}})
end)

S.test("to-be-closed variables of leftover tasks are closed", function()
  local closed = 0
  asyncio.run(async(function()
    for _ = 1, 2 do
      asyncio.create_task(async(function()
        local r <close> = setmetatable({}, {__close = function() closed = closed + 1 end})
        await(asyncio.sleep(100))
      end)())
    end
    await(asyncio.sleep(0))
  end)(), VIRTUAL)
  T.eq(closed, 2)
end)

S.test("leftover tasks that were never started are cancelled without running", function()
  local ran = false
  asyncio.run(async(function()
    asyncio.create_task(async(function() ran = true end)())
  end)(), VIRTUAL)
  T.eq(ran, false)
end)

S.test("a leftover task that swallows the cancellation may finish normally", function()
  local finished = false
  asyncio.run(async(function()
    asyncio.create_task(async(function()
      pcall(await, asyncio.sleep(100))
      await(asyncio.sleep(5))
      finished = true
    end)())
    await(asyncio.sleep(0))
  end)(), VIRTUAL)
  T.eq(finished, true)
end)

S.test("many leftover tasks are all cancelled (no stack overflow)", function()
  local rc, out = child([[
    local cleaned = 0
    local r = asyncio.run(async(function()
      for i = 1, 500 do
        asyncio.create_task(async(function()
          pcall(await, asyncio.sleep(100))
          cleaned = cleaned + 1
        end)())
      end
      await(asyncio.sleep(1))
      return "done"
    end)(), {clock = "virtual"})
    print(r, cleaned)
  ]])
  T.eq(rc, 0, "exit status; output: " .. out)
  T.ok(out:find("done\t500", 1, true), out)
end)

S.test("deadlock: run raises a clear error naming what the main task waits on", function()
  local line
  local ok, err = pcall(asyncio.run, async(function()
    local f = asyncio.Future()
    line = debug.getinfo(1, "l").currentline + 1
    await(f)
  end)())
  T.eq(ok, false)
  err = tostring(err)
  T.ok(err:find("^deadlock: <Task pending name='Task%-%d+'"), err)
  T.ok(err:find("wait_for=<Future pending>", 1, true), err)
  T.ok(err:find("nothing can ever wake it", 1, true), err)
  T.ok(err:find("suspended at " .. debug.getinfo(1, "S").short_src .. ":" .. line, 1, true),
    "names where the main task is suspended: " .. err)
end)

S.test("deadlock lists the other waiting tasks", function()
  local ok, err = pcall(asyncio.run, async(function()
    local never = asyncio.Future()
    asyncio.create_task(async(function() await(never) end)(), "stuck-helper")
    await(asyncio.Event():wait())
  end)(), VIRTUAL)
  T.eq(ok, false)
  err = tostring(err)
  T.ok(err:find("deadlock", 1, true), err)
  T.ok(err:find("also waiting: <Task pending name='stuck-helper'", 1, true), err)
end)

S.test("after a deadlock the leftover tasks are cleaned up and the next run works", function()
  local cleaned = false
  pcall(asyncio.run, async(function()
    asyncio.create_task(async(function()
      local r <close> = setmetatable({}, {__close = function() cleaned = true end})
      await(asyncio.Future())
    end)())
    await(asyncio.Future())
  end)(), VIRTUAL)
  T.eq(cleaned, true)
  T.eq(asyncio.run(async(function() return 1 end)()), 1)
end)

S.test("no deadlock while a timer is pending", function()
  local v = asyncio.run(async(function()
    local f = asyncio.Future()
    asyncio.get_running_loop():call_later(10, function() f:set_result("woken") end)
    return await(f)
  end)(), VIRTUAL)
  T.eq(v, "woken")
end)

S.test("the real clock runs short sleeps in real time", function()
  local t0 = time.monotonic()
  local elapsed = asyncio.run(async(function()
    local loop = asyncio.get_running_loop()
    local start = loop:time()
    await(asyncio.sleep(0.05))
    return loop:time() - start
  end)(), {clock = "real"})
  local real = time.monotonic() - t0
  T.ok(elapsed >= 0.05 - 1e-6, "loop time advanced by the sleep: " .. elapsed)
  T.ok(real >= 0.05 - 1e-3, "real time passed: " .. real)
  T.ok(real < 5, "but not much more: " .. real)
end)

S.test("an unretrieved task exception is reported when the loop closes", function()
  local rc, out = child([[
    asyncio.run(async(function()
      asyncio.create_task(async(function() error("lost error", 0) end)(), "loser")
      await(asyncio.sleep(1))
    end)(), {clock = "virtual"})
    print("run returned")
  ]])
  T.eq(rc, 0, out)
  T.ok(out:find("Task exception was never retrieved", 1, true), out)
  T.ok(out:find("name='loser'", 1, true), out)
  T.ok(out:find("lost error", 1, true), out)
  T.ok(out:find("run returned", 1, true), out)
end)

S.test("a retrieved task exception is not reported", function()
  local rc, out = child([[
    asyncio.run(async(function()
      local t = asyncio.create_task(async(function() error("seen", 0) end)())
      await(asyncio.sleep(1))
      assert(t:exception() == "seen")
    end)(), {clock = "virtual"})
  ]])
  T.eq(rc, 0, out)
  T.ok(not out:find("never retrieved", 1, true), out)
end)

T.test("nested asyncio.run raises", function()
  local c = async(function() return 1 end)()
  local err = T.raises("asyncio.run%(%) cannot be called from a running event loop", asyncio.run, c)
  c:close()
  T.ok(err ~= nil)
  T.eq(await(asyncio.sleep(1, "outer still fine")), "outer still fine")
end)

T.test("get_running_loop inside run", function()
  local loop = asyncio.get_running_loop()
  T.eq(loop:is_running(), true)
  T.eq(loop:is_closed(), false)
  T.ok(rawequal(asyncio.get_running_loop(), loop))
  T.ok(tostring(loop):find("^<Loop running clock=virtual"), tostring(loop))
end)

print(string.format("outside a loop: %d passed, %d failed", S.passed, S.failed))
T.done() -- exits with status 1 if a T.test failed
if S.failed > 0 then os.exit(1) end
