-- Tests for asyncio.print_call_graph / format_call_graph / capture_call_graph
-- (runtime/observe/call_graph.cpp) and future labels (asyncio._label), on the
-- virtual clock.
local T = require("testlib")

local function spawn(name, fn, ...) return asyncio.create_task(async(fn)(...), name) end

-- Runs `probe` in a task of its own once the others have reached their
-- awaits, and returns what it returns.
local function snapshot(probe)
  local t = spawn("probe", function()
    await(asyncio.sleep(0))
    return probe()
  end)
  return await(t)
end

local function has(text, piece)
  T.ok(text:find(piece, 1, true), ("missing %q in:\n%s"):format(piece, text))
end

T.test("a task awaiting a task awaiting a lock", function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local inner = spawn("inner", function() await(lock:acquire()) end)
  local outer = spawn("outer", function() await(inner) end)
  local text = snapshot(function() return asyncio.format_call_graph(outer) end)
  has(text, "* Task 'outer'")
  has(text, "+ Awaiting:\n   * Task 'inner'")
  has(text, "+ Awaiting: Future 'lock' (pending)")
  lock:release()
  await(outer)
end)

T.test("awaited by: up through a gather to the main task", function()
  local a = spawn("a", function() await(asyncio.sleep(5)) end)
  local main = asyncio.current_task()
  local g = asyncio.gather(a)
  local cap
  spawn("probe", function()
    cap = asyncio.capture_call_graph(a)
  end)
  await(g)
  T.eq(cap.name, "a")
  T.eq(cap.kind, "task")
  T.eq(cap.state, "waiting")
  T.eq(cap.sleep_until, 5.0)
  T.eq(#cap.awaited_by, 1)
  T.eq(cap.awaited_by[1].kind, "future")
  T.eq(cap.awaited_by[1].label, "gather")
  T.eq(cap.awaited_by[1].awaited_by[1].future, main)
  T.eq(cap.call_stack[1].line, 36)  -- where a sleeps
end)

T.test("a TaskGroup's end awaits its live children", function()
  local text
  do
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(async(function() await(asyncio.sleep(1)) end)())
    tg:create_task(async(function() await(asyncio.sleep(2)) end)())
    spawn("probe", function()
      await(asyncio.sleep(0.5))
      text = asyncio.format_call_graph(nil, {all = true, limit = 0})
    end)
  end
  has(text, "Future 'TaskGroup' (pending)")
  local _, n = text:gsub("Awaiting: sleep until", "")
  T.eq(n, 2)
  T.ok(not text:find("Call stack", 1, true), "limit = 0 prints no stacks")
end)

T.test("current task by default; nil outside a task", function()
  local text = asyncio.format_call_graph()
  has(text, "* Task 'Task-")
  has(text, "(running)")
  local cap = asyncio.capture_call_graph()
  T.eq(cap.future, asyncio.current_task())
  T.eq(cap.state, "running")
  local from_callback
  asyncio.get_running_loop():call_soon(function()
    from_callback = asyncio.capture_call_graph()
  end)
  await(asyncio.sleep(0))
  T.eq(from_callback, nil)
end)

T.test("print_call_graph writes to io.write or opts.file", function()
  local lines = {}
  local file = {write = function(_, s) lines[#lines + 1] = s end}
  asyncio.print_call_graph(nil, {file = file})
  T.eq(#lines, 1)
  has(lines[1], "(running)")
end)

T.test("limit keeps the innermost (n > 0) or outermost (n < 0) frames", function()
  local deep3 = async(function() return asyncio.capture_call_graph(nil, {limit = 1}) end)
  local deep2 = async(function() return await(deep3()) end)
  local deep1 = async(function() return await(deep2()) end)
  local cap = await(deep1())
  T.eq(#cap.call_stack, 1)
  T.eq(cap.call_stack[1].name, "coroutine 'deep3'")
  local all = async(function() return asyncio.capture_call_graph() end)
  T.ok(#await(all()).call_stack >= 2)
  local outer = async(function() return asyncio.capture_call_graph(nil, {limit = -1}) end)
  local c = await(outer())
  T.eq(#c.call_stack, 1)
  T.ok(c.call_stack[1].name ~= "coroutine 'outer'", c.call_stack[1].text)
end)

T.test("a cycle in the await graph is shown, not followed forever", function()
  -- t1 awaits f, which says it waits for t1. (Two tasks awaiting each other
  -- make the same cycle, but cancelling one of them then recurses.)
  local f = asyncio.Future()
  local t1 = spawn("t1", function() await(f) end)
  asyncio._label(f, "loop", {t1})
  await(asyncio.sleep(0))
  local text = asyncio.format_call_graph(nil, {all = true})
  has(text, "* Task 't1'")
  has(text, "the await chain is a cycle")
  text = asyncio.format_call_graph(t1)
  has(text, "(cycle)")
  local cap = asyncio.capture_call_graph(t1)
  T.eq(cap.awaiting[1].label, "loop")
  T.eq(#cap.awaiting[1].awaiting, 0)
  t1:cancel()
  pcall(await, t1)
end)

T.test("bad arguments", function()
  local ok, err = pcall(asyncio.format_call_graph, 42)
  T.ok(not ok and tostring(err):find("Future or Task"), tostring(err))
  ok, err = pcall(asyncio.format_call_graph, nil, {limit = "x"})
  T.ok(not ok and tostring(err):find("bad option 'limit'"), tostring(err))
  ok, err = pcall(asyncio._label, asyncio.current_task(), "x")
  T.ok(not ok and tostring(err):find("plain Future expected"), tostring(err))
  ok, err = pcall(asyncio._label, asyncio.Future(), 3)
  T.ok(not ok, "label must be a string")
end)

T.test("labels survive a cancel handler and the future works as before", function()
  local f = asyncio._label(asyncio.Future(), "read")
  local handled = false
  asyncio._set_cancel_handler(f, function(fut, msg)
    handled = true
    return asyncio._cancel_default(fut, msg)
  end)
  local cap = asyncio.capture_call_graph(f)
  T.eq(cap.label, "read")
  T.eq(f:cancel("stop"), true)
  T.eq(handled, true)
  T.eq(f:cancelled(), true)
  local g = asyncio._label(asyncio.Future(), "write")
  g:set_result(1, 2)
  T.eq({g:result()}, {1, 2})
  T.eq(asyncio.capture_call_graph(g).state, "done")
end)

T.done()
