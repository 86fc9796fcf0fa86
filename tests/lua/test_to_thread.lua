-- asyncio.to_thread, loop:run_in_executor, asyncio.ThreadPoolExecutor
-- (runtime/io/executor.cpp, runtime/io/marshal.cpp), on the virtual clock.
-- Worker threads really run: where a test must see what a thread did after
-- its result was dropped, the thread leaves a file behind, and the test
-- polls for it in real time (generous bounds, no timing assertions).
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end
local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

-- Waits until `path` exists or `seconds` have passed (real time, polled in
-- a thread of the default executor); returns whether it exists.
local function wait_for_file(path, seconds)
  return await(asyncio.to_thread(function(p, limit)
    local t0 = time.monotonic()
    while time.monotonic() - t0 < limit do
      local f = io.open(p)
      if f then f:close(); return true end
      time.sleep(0.01)
    end
    return false
  end, path, seconds))
end

-- A file path nobody uses yet.
local function fresh_path()
  local p = os.tmpname()
  os.remove(p)
  return p
end

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

T.test("to_thread runs the function in a thread and returns all its results", function()
  T.eq({await(asyncio.to_thread(fib, 20))}, {6765})
  T.eq({await(asyncio.to_thread(function(a, b) return b, a, nil, "x" end, 1, 2))}, {2, 1, nil, "x"})
  local n = select("#", await(asyncio.to_thread(function() return nil, nil end)))
  T.eq(n, 2, "trailing nils are results too")
end)

T.test("to_thread is a coroutine function: nothing runs before it is awaited", function()
  local path = fresh_path()
  local c = asyncio.to_thread(function(p) io.open(p, "w"):close() end, path)
  T.ok(asyncio.iscoroutine(c))
  T.eq(exists(path), false)
  await(c)
  T.eq(exists(path), true)
  os.remove(path)
end)

T.test("arguments and results are copies: scalars, strings, nested tables, shared tables, cycles", function()
  local shared = {"s"}
  local arg = {1, 2.5, "three", true, {nested = {deep = "yes"}}, a = shared, b = shared}
  arg.self = arg
  local r = await(asyncio.to_thread(function(t)
    t.changed = true
    return t, math.type(t[1]), math.type(t[2])
  end, arg))
  T.eq(arg.changed, nil, "the caller's table is not changed")
  local t, i, f = r, nil, nil
  t, i, f = await(asyncio.to_thread(function(t) return t, math.type(t[1]), math.type(t[2]) end, arg))
  T.eq({i, f}, {"integer", "float"})
  T.ok(t ~= arg, "a copy comes back")
  T.eq(t[3], "three")
  T.eq(t[5].nested.deep, "yes")
  T.ok(t.self == t, "a cycle stays a cycle")
  T.ok(t.a == t.b, "a shared table stays shared")
  T.eq(r.changed, true, "the thread's changes come back with the result")
end)

T.test("large values travel", function()
  local big = {}
  for i = 1, 100000 do big[i] = i end
  local sum, n = await(asyncio.to_thread(function(t)
    local s = 0
    for _, v in ipairs(t) do s = s + v end
    return s, #t
  end, big))
  T.eq({sum, n}, {5000050000, 100000})
  local s = await(asyncio.to_thread(string.rep, "ab", 500000))
  T.eq(#s, 1000000)
end)

T.test("a function that uses outside locals is refused, naming them", function()
  local x, y = 1, 2
  local err = T.raises("must be self%-contained", function()
    await(asyncio.to_thread(function() return x + y end))
  end)
  T.ok(tostring(err):find("bad argument #1 to 'to_thread' (the function uses the local variables 'x', 'y' from outside it", 1, true),
    tostring(err))
  err = T.raises("the local variable 'x'", function() await(asyncio.to_thread(function() return x end)) end)
  T.ok(tostring(err):find("pass it as an argument", 1, true))
end)

T.test("globals and the function itself are fine; each call has its own globals", function()
  T.eq(await(asyncio.to_thread(fib, 15)), 610, "a local function that calls itself")
  T.eq(await(asyncio.to_thread(function() counter = (counter or 0) + 1; return counter, _G.counter end)), 1)
  T.eq(await(asyncio.to_thread(function() return counter end)), nil, "a global set by one call is gone")
  T.eq(await(asyncio.to_thread(function() return type(string.format), type(os.time), type(io.open) end)),
    "function", "the standard libraries are there")
  T.eq(await(asyncio.to_thread(function() return type(time.sleep), type(asyncio) end)), "function")
  T.eq(select(2, await(asyncio.to_thread(function() return type(time.sleep), type(asyncio) end))), "nil",
    "asyncio is not: a worker has no event loop")
end)

T.test("a C function of a standard library is sent by name; other C functions are refused", function()
  T.eq(await(asyncio.to_thread(string.rep, "x", 3, "-")), "x-x-x")
  T.eq(await(asyncio.to_thread(math.max, 3, 9, 4)), 9)
  T.eq(await(asyncio.to_thread(tostring, 12)), "12")
  await(asyncio.to_thread(time.sleep, 0.01))
  T.raises("a C function cannot be sent to a thread", function()
    await(asyncio.to_thread(asyncio.sleep, 1))
  end)
end)

T.test("values that cannot be copied are refused, with where they are", function()
  T.raises("bad argument #2 to 'to_thread' %(a function: only nil, booleans, numbers, strings and tables of those can be copied to a thread%)",
    function() await(asyncio.to_thread(fib, print)) end)
  T.raises("bad argument #3 to 'to_thread' %(field %.handlers%[2%] is a function", function()
    await(asyncio.to_thread(fib, 1, {handlers = {1, print}}))
  end)
  T.raises("bad argument #2 to 'to_thread' %(a userdata", function()
    await(asyncio.to_thread(fib, asyncio.Future()))
  end)
  T.raises("bad argument #2 to 'to_thread' %(field %.q is a table with a metatable", function()
    await(asyncio.to_thread(fib, {q = asyncio.Queue()}))
  end)
  T.raises("to_thread: result #2 is a function", function()
    await(asyncio.to_thread(function() return 1, print end))
  end)
  T.raises("bad argument #1 to 'to_thread' %(function expected, got number%)", function()
    await(asyncio.to_thread(42))
  end)
end)

T.test("an error in the thread is raised at the await", function()
  local err = T.raises("boom", function() await(asyncio.to_thread(function() error("boom") end)) end)
  T.ok(tostring(err):find("test_to_thread.lua:%d+: boom"), "with the position: " .. tostring(err))
  local ok, e = pcall(await, asyncio.to_thread(function() error({code = 7, msg = "x"}) end))
  T.eq(ok, false)
  T.eq(e, {code = 7, msg = "x"}, "a plain error table is copied")
  ok, e = pcall(await, asyncio.to_thread(function()
    error(setmetatable({}, {__tostring = function() return "custom error" end}))
  end))
  T.eq(e, "custom error", "an error that cannot be copied becomes its tostring")
  ok, e = pcall(await, asyncio.to_thread(function() coroutine.yield() end))
  T.ok(tostring(e):find("coroutine.yield() outside a coroutine", 1, true), tostring(e))
  T.eq(await(asyncio.to_thread(function()
    local co = coroutine.wrap(function() coroutine.yield(1); coroutine.yield(2) end)
    return co() + co()
  end)), 3, "coroutines inside the thread work")
end)

T.test("cancelling the awaiting task raises CancelledError there; the thread finishes, its result is dropped", function()
  local started, finished = fresh_path(), fresh_path()
  local task = spawn(function()
    return await(asyncio.to_thread(function(s, p)
      io.open(s, "w"):close()
      time.sleep(0.2)
      io.open(p, "w"):close()
      return "result"
    end, started, finished))
  end)
  T.ok(wait_for_file(started, 10), "the call started")
  task:cancel("stop")
  local err = T.raises(asyncio.CancelledError, function() await(task) end)
  T.eq(tostring(err), "CancelledError: stop")
  T.eq(task:cancelled(), true)
  T.eq(exists(finished), false, "the task did not wait for the thread")
  T.ok(wait_for_file(finished, 10), "the thread ran to its end")
  os.remove(started)
  os.remove(finished)
end)

T.test("a call cancelled while queued never starts", function()
  local ex <close> = asyncio.ThreadPoolExecutor(1)
  local loop = asyncio.get_running_loop()
  local started, queued = fresh_path(), fresh_path()
  local first = loop:run_in_executor(ex, function(p)
    io.open(p, "w"):close()
    time.sleep(0.3)
  end, started)
  local second = loop:run_in_executor(ex, function(p) io.open(p, "w"):close() end, queued)
  T.ok(wait_for_file(started, 10))
  second:cancel()
  await(first)
  ex:shutdown(true) -- waits for the worker: the second call was dropped
  T.eq(exists(queued), false, "the cancelled call did not run")
  os.remove(started)
end)

T.test("calls run in parallel: two threads that wait for each other both finish", function()
  -- Each creates its file, then waits for the other's: with one thread at a
  -- time this could never finish (each gives up after 5 s and says so).
  local a, b = fresh_path(), fresh_path()
  local function handshake(mine, theirs)
    io.open(mine, "w"):close()
    local t0 = os.time()
    while true do
      local f = io.open(theirs)
      if f then f:close(); return "met" end
      if os.time() - t0 > 5 then return "alone" end
      time.sleep(0.01)
    end
  end
  local r = await(asyncio.gather(asyncio.to_thread(handshake, a, b), asyncio.to_thread(handshake, b, a)))
  T.eq({r[1], r[2]}, {"met", "met"})
  os.remove(a)
  os.remove(b)
end)

T.test("the virtual clock waits for a thread as for a subprocess", function()
  local slept = spawn(function() await(asyncio.sleep(1)); return now() end)
  local t0 = now()
  await(asyncio.to_thread(time.sleep, 0.1))
  T.eq(now(), t0, "the clock did not jump while the thread worked")
  T.eq(slept:done(), false)
  T.eq(await(slept), 1)
end)

T.test("the default executor has one thread per core; an executor has max_workers", function()
  local p = await(asyncio.create_subprocess_exec("nproc", {stdout = "pipe"}))
  local cores = tonumber((await(p:communicate())))
  local ex <close> = asyncio.ThreadPoolExecutor()
  T.eq(ex.max_workers, cores)
  local three <close> = asyncio.ThreadPoolExecutor(3)
  T.eq(three.max_workers, 3)
  T.eq(tostring(three), "<ThreadPoolExecutor max_workers=3>")
  T.raises("max_workers must be between 1 and 1024", asyncio.ThreadPoolExecutor, 0)
end)

T.test("run_in_executor with an executor, with nil (the default), and set_default_executor", function()
  local loop = asyncio.get_running_loop()
  local ex = asyncio.ThreadPoolExecutor(2)
  local fut = loop:run_in_executor(ex, fib, 10)
  T.ok(asyncio.isfuture(fut), "run_in_executor returns a future")
  T.eq(await(fut), 55)
  T.eq(await(loop:run_in_executor(nil, fib, 11)), 89)
  loop:set_default_executor(ex)
  T.eq(await(asyncio.to_thread(fib, 12)), 144)
  ex:shutdown()
  T.eq(tostring(ex), "<ThreadPoolExecutor max_workers=2 shutdown>")
  T.raises("cannot schedule new calls after the executor's shutdown", function()
    await(asyncio.to_thread(fib, 1))
  end)
  T.raises("cannot schedule new calls after the executor's shutdown", loop.run_in_executor, loop, ex, fib, 1)
  T.raises("bad argument #1 to 'run_in_executor' %(ThreadPoolExecutor or nil expected, got table%)",
    loop.run_in_executor, loop, {}, fib, 1)
end)

T.test("an executor as a to-be-closed variable waits for its calls", function()
  local path = fresh_path()
  do
    local ex <close> = asyncio.ThreadPoolExecutor(1)
    asyncio.get_running_loop():run_in_executor(ex, function(p)
      time.sleep(0.1)
      io.open(p, "w"):close()
    end, path)
  end
  T.eq(exists(path), true, "closing waited for the call")
  os.remove(path)
end)

T.test("many calls, more than threads", function()
  local calls = {}
  for i = 1, 40 do calls[i] = asyncio.to_thread(fib, i % 15) end
  local r = await(asyncio.gather(table.unpack(calls)))
  for i = 1, 40 do T.eq(r[i], fib(i % 15)) end
end)

-- The lesson sandbox (`luasync learn exec` runs code as an exercise does).
local function sandboxed(code)
  local p = await(asyncio.create_subprocess_exec(arg[-1], "learn", "exec", "-e", code,
    {stdout = "pipe", stderr = "pipe"}))
  local out, err = await(p:communicate())
  return p.returncode, out, err
end

T.test("in the sandbox: threads compute, with the exercises' libraries only", function()
  local rc, out, err = sandboxed([[
    local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
    asyncio.run(async(function()
      local r = await(asyncio.gather(asyncio.to_thread(fib, 20), asyncio.to_thread(fib, 21)))
      print(r[1], r[2])
      print(await(asyncio.to_thread(function()
        return type(os.execute), type(io), type(require), type(string.dump), type(("").dump), type(debug)
      end)))
      print(select(2, pcall(await, asyncio.to_thread(function() print("hi") end))))
      print(select(2, pcall(await, asyncio.to_thread(function() setmetatable({}, {__gc = error}) end))))
      print(select(2, pcall(await, asyncio.to_thread(function() return load("\27Lua") end))))
    end)())
  ]])
  T.eq(rc, 0, err)
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
  T.eq(lines[1], "6765\t10946")
  T.eq(lines[2], "nil\tnil\tnil\tnil\tnil\tnil")
  T.ok(lines[3]:find("print is not available in a thread in exercises", 1, true), lines[3])
  T.ok(lines[4]:find("__gc metamethods are not allowed in exercises", 1, true), lines[4])
  T.ok(lines[5]:find("binary chunks are not allowed", 1, true), lines[5])
end)

T.test("in the sandbox: a thread's instructions count, even through pcall", function()
  local rc, _, err = sandboxed([[
    local function spin()
      local i = 0
      while true do pcall(function() while true do i = i + 1 end end) end
    end
    asyncio.run(async(function() await(asyncio.to_thread(spin)) end)())
  ]])
  T.eq(rc, 70, "stopped for instructions")
  T.ok(err:find("million Lua instructions", 1, true), err)
end)

T.test("in the sandbox: a thread's memory counts", function()
  local rc, _, err = sandboxed([[
    local function hog()
      local t = {}
      for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end
    end
    asyncio.run(async(function() print(pcall(await, asyncio.to_thread(hog))) end)())
  ]])
  T.eq(rc, 71, "stopped for memory")
  T.ok(err:find("MB of memory", 1, true), err)
end)

T.done()
