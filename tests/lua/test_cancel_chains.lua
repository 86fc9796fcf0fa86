-- Cancelling along chains of tasks that await tasks: long chains, cycles.
-- Both used to crash the process (unbounded C recursion, and pushing onto the
-- cancelling task's Lua stack without making room).
local T = require("testlib")

-- tasks[1] sleeps; tasks[i] awaits tasks[i - 1].
local function chain(n)
  local tasks = {asyncio.create_task(asyncio.sleep(100))}
  for i = 2, n do
    local prev = tasks[i - 1]
    tasks[i] = asyncio.create_task(async(function() return await(prev) end)())
  end
  return tasks
end

T.test("cancelling the end of a 300-task chain cancels all of it", function()
  local tasks = chain(300)
  await(asyncio.sleep(1))
  T.eq(tasks[300]:cancel("stop"), true)
  await(asyncio.sleep(1))
  for i = 1, 300 do T.ok(tasks[i]:cancelled(), "task " .. i .. " should be cancelled") end
  local ok, err = pcall(tasks[1].result, tasks[1])
  T.eq(tostring(err), "CancelledError: stop", "the message travels down the chain")
end)

T.test("a 5000-task chain: cancel does not crash, and every task ends", function()
  local tasks = chain(5000)
  await(asyncio.sleep(1))
  tasks[5000]:cancel()
  await(asyncio.sleep(200))
  for i = 1, 5000 do T.ok(tasks[i]:done(), "task " .. i .. " should be done") end
  T.ok(tasks[5000]:cancelled(), "the task cancelled directly is cancelled")
end)

T.test("two tasks awaiting each other: cancel returns, nothing crashes", function()
  local t1, t2
  t1 = asyncio.create_task(async(function() await(asyncio.sleep(0)); await(t2) end)())
  t2 = asyncio.create_task(async(function() await(asyncio.sleep(0)); await(t1) end)())
  await(asyncio.sleep(1))
  T.eq(t1:cancel("x"), true)
  await(asyncio.sleep(0))
  T.eq(t1:cancelling(), 1)
  T.ok(tostring(t1):find("wait_for=<Task pending", 1, true), "repr shows what it waits on")
end)

T.done()
