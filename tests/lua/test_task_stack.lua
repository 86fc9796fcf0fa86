-- task:get_stack() and task:print_stack() (runtime/task_stack.cpp), on the
-- virtual clock.
local T = require("testlib")

local inner = async(function() await(asyncio.sleep(10)) end)        -- line 5
local middle = async(function() await(inner()) end)                 -- line 6
local failing = async(function() error("boom", 0) end)              -- line 7
local deep_fail = async(function() await(failing()) end)            -- line 8

-- A file object collecting what print_stack writes.
local function sink()
  local out = {}
  return {write = function(_, s) out[#out + 1] = s end, text = function() return table.concat(out) end}
end

T.test("a suspended task: its coroutines, oldest first, with source, line and name", function()
  local t = asyncio.create_task(middle(), "m")
  T.eq(t:get_stack(), {}, "not started yet: no frames")
  await(asyncio.sleep(0))
  local st = t:get_stack()
  T.eq(#st, 2)
  T.eq(st[1].line, 6)
  T.eq(st[1].name, "coroutine 'middle'")
  T.ok(st[1].source:find("test_task_stack.lua$"), st[1].source)
  T.eq(st[2].line, 5)
  T.eq(st[2].name, "coroutine 'inner'")
  T.ok(st[2].text:find("test_task_stack.lua:5: in coroutine 'inner'", 1, true), st[2].text)
  t:cancel()
end)

T.test("a limit keeps the newest frames of a stack", function()
  local t = asyncio.create_task(middle())
  await(asyncio.sleep(0))
  local st = t:get_stack(1)
  T.eq(#st, 1)
  T.eq(st[1].name, "coroutine 'inner'")
  T.eq(#t:get_stack({limit = 0}), 0)
  T.eq(#t:get_stack({limit = 5}), 2)
  t:cancel()
end)

T.test("a failed task: the frames where its error was raised; a limit keeps the oldest", function()
  local t = asyncio.create_task(deep_fail())
  T.raises("boom", function() await(t) end)
  local st = t:get_stack()
  T.eq(#st, 2)
  T.eq(st[1].name, "coroutine 'deep_fail'")
  T.eq(st[2].name, "coroutine 'failing'")
  T.eq(st[2].line, 7)
  local one = t:get_stack(1)
  T.eq(#one, 1)
  T.eq(one[1].name, "coroutine 'deep_fail'")
end)

T.test("finished and cancelled tasks have no stack", function()
  local t = asyncio.create_task(asyncio.sleep(0, "x"))
  await(t)
  T.eq(t:get_stack(), {})
  local c = asyncio.create_task(middle())
  await(asyncio.sleep(0))
  c:cancel()
  pcall(await, c)
  T.eq(c:get_stack(), {})
end)

T.test("print_stack writes the stack, or the traceback and the error", function()
  local t = asyncio.create_task(middle(), "m")
  await(asyncio.sleep(0))
  local f = sink()
  t:print_stack({file = f})
  local text = f.text()
  T.ok(text:find("^Stack for <Task pending name='m' coro=<middle%(%) at [^>]*> sleeping> %(most recent call last%):\n"), text)
  T.ok(text:find("\t[^\n]*test_task_stack%.lua:6: in coroutine 'middle'\n\t[^\n]*test_task_stack%.lua:5: in coroutine 'inner'\n$"), text)
  t:cancel()

  local bad = asyncio.create_task(failing(), "bad")
  pcall(await, bad)
  f = sink()
  bad:print_stack({file = f})
  text = f.text()
  T.ok(text:find("^Traceback for <Task finished name='bad'"), text)
  T.ok(text:find("test_task_stack.lua:7: in coroutine 'failing'\nboom\n$"), text)

  local done = asyncio.create_task(asyncio.sleep(0))
  await(done)
  f = sink()
  done:print_stack({file = f, limit = 3})
  T.ok(f.text():find("^No stack for <Task finished"), f.text())
end)

T.test("the running task can look at its own stack", function()
  local here = async(function() return asyncio.current_task():get_stack() end)
  local st = await(here())
  T.ok(#st >= 1)
  T.eq(st[#st].name, "coroutine 'here'", "the newest frame is the innermost coroutine")
end)

T.test("bad arguments", function()
  local t = asyncio.create_task(asyncio.sleep(0))
  T.raises("bad option 'depth' to 'get_stack'", t.get_stack, t, {depth = 1})
  T.raises("bad option 'out' to 'print_stack'", t.print_stack, t, {out = io.stdout})
  T.raises("non%-negative limit expected", t.get_stack, t, -1)
  T.raises("Task expected", t.get_stack, asyncio.Future())
  await(t)
end)

T.done()
