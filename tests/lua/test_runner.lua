-- asyncio.Runner (runtime/runner.cpp), on the virtual clock. Runners make
-- and run loops of their own, so these tests run outside asyncio.run (the
-- test library's T.test runs its body inside one): each is a plain
-- function, checked with assert, reported like T's.
local passed, failed = 0, 0
local function test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    print("ok     " .. name)
  else
    failed = failed + 1
    print("FAILED " .. name .. "\n    " .. tostring(err):gsub("\n", "\n    "))
  end
end

local function eq(a, b, msg)
  if a ~= b then error(string.format("%s: expected %s, got %s", msg or "", tostring(b), tostring(a)), 2) end
end

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error matching " .. pattern, 2) end
  if not tostring(err):find(pattern) then error("expected an error matching " .. pattern .. ", got " .. tostring(err), 2) end
  return err
end

local function now() return asyncio.get_running_loop():time() end

test("run several times on one loop; pending tasks go on in the next run", function()
  local runner <close> = asyncio.Runner({clock = "virtual"})
  eq(tostring(runner), "<Runner new>")
  local bg
  local a, t = runner:run(async(function()
    bg = asyncio.create_task(async(function() await(asyncio.sleep(5)); return "bg" end)())
    await(asyncio.sleep(1))
    return "first", now()
  end)())
  eq(a, "first")
  eq(t, 1)
  eq(tostring(runner), "<Runner idle>")
  eq(bg:done(), false, "a task left pending stays pending")
  raises("no running event loop", asyncio.get_running_loop)
  local loop_time, done = runner:run(async(function() return now(), bg:done() end)())
  eq(loop_time, 1, "the same loop, the same clock")
  eq(done, false)
  local r, t2 = runner:run(async(function() return await(bg), now() end)())
  eq(r, "bg")
  eq(t2, 5)
end)

test("the runner's context carries over from run to run", function()
  local v = asyncio.ContextVar("v", {default = "default"})
  local runner <close> = asyncio.Runner({clock = "virtual"})
  runner:run(async(function() v:set("set in run 1") end)())
  eq(runner:run(async(function() return v:get() end)()), "set in run 1")
  eq(v:get(), "default", "outside the runner nothing changed")
  local ctx = asyncio.Context()
  eq(runner:run(async(function() v:set("in ctx"); return v:get() end)(), {context = ctx}), "in ctx")
  eq(ctx:get(v), "in ctx", "a given context is used as it is")
  eq(runner:run(async(function() return v:get() end)()), "set in run 1")
end)

test("close cancels what is left; a closed runner refuses to run; closing twice is fine", function()
  local runner = asyncio.Runner({clock = "virtual"})
  local pending, cleaned = nil, false
  runner:run(async(function()
    pending = asyncio.create_task(async(function()
      local _ <close> = setmetatable({}, {__close = function() cleaned = true end})
      await(asyncio.sleep(100))
    end)())
    await(asyncio.sleep(0))
  end)())
  runner:close()
  eq(pending:cancelled(), true)
  eq(cleaned, true, "the cancelled task cleaned up")
  eq(tostring(runner), "<Runner closed>")
  local c = asyncio.sleep(0)
  raises("the Runner is closed", runner.run, runner, c)
  c:close()
  runner:close()
  raises("the Runner is closed", runner.get_loop, runner)
end)

test("a to-be-closed runner closes at the end of its block", function()
  local pending
  do
    local runner <close> = asyncio.Runner({clock = "virtual"})
    runner:run(async(function() pending = asyncio.create_task(asyncio.sleep(10)) end)())
  end
  eq(pending:cancelled(), true)
end)

test("errors come out of run, and the runner goes on", function()
  local runner <close> = asyncio.Runner({clock = "virtual"})
  raises("boom", runner.run, runner, async(function() error("boom") end)())
  raises("deadlock", runner.run, runner, async(function()
    await(asyncio.get_running_loop():create_future())
  end)())
  eq(runner:run(async(function() return "after" end)()), "after")
  local c = async(function() end)()
  raises("coroutine object expected, got function", runner.run, runner, async(function() end))
  raises("bad option 'contxt' to 'run'", runner.run, runner, c, {contxt = 1})
  c:close()
end)

test("no run inside a running loop, and no asyncio.run inside a run", function()
  local runner <close> = asyncio.Runner({clock = "virtual"})
  local msg = asyncio.run(async(function()
    local c = async(function() end)()
    local ok, err = pcall(runner.run, runner, c)
    c:close()
    return err
  end)(), {clock = "virtual"})
  assert(tostring(msg):find("cannot be called from a running event loop"), msg)
  local inner = runner:run(async(function()
    local c = async(function() end)()
    local ok, err = pcall(asyncio.run, c)
    c:close()
    return err
  end)())
  assert(tostring(inner):find("cannot be called from a running event loop"), inner)
end)

test("get_loop gives the runner's loop; options are checked", function()
  local runner <close> = asyncio.Runner({clock = "virtual", debug = true})
  local loop = runner:get_loop()
  local in_run = runner:run(async(function() return asyncio.get_running_loop() end)())
  eq(in_run, loop)
  eq(loop:get_debug(), true)
  eq(loop:is_running(), false, "between runs")
  raises("bad option 'loop_factory' to 'Runner'", asyncio.Runner, {loop_factory = 1})
  raises("bad option 'timeline' to 'Runner'", asyncio.Runner, {timeline = true})
end)

test("a runner is used from the thread that first ran it", function()
  local runner <close> = asyncio.Runner({clock = "virtual"})
  runner:run(async(function() end)())
  local co = coroutine.create(function()
    local c = async(function() end)()
    local ok, err = pcall(runner.run, runner, c)
    c:close()
    return err
  end)
  local _, err = coroutine.resume(co)
  assert(tostring(err):find("a Runner is used from the Lua thread that first ran it", 1, true), err)
end)

print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then os.exit(1) end
