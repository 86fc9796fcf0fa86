-- asyncio.Barrier and asyncio.BrokenBarrierError (Python 3.11 semantics),
-- on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end
local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

T.test("tasks wait until all parties arrived; indices are arrival order", function()
  local b = asyncio.Barrier(3)
  T.eq(b:parties(), 3)
  local log = {}
  local tasks = {}
  for i = 1, 3 do
    tasks[i] = spawn(function()
      await(asyncio.sleep(i))
      local index = await(b:wait())
      log[#log + 1] = {i, index, now()}
      return index
    end)
  end
  await(asyncio.sleep(2.5))
  T.eq(b:n_waiting(), 2, "two have arrived")
  T.eq(#log, 0, "nobody passed yet")
  local results = await(asyncio.gather(tasks[1], tasks[2], tasks[3]))
  T.eq({results[1], results[2], results[3]}, {0, 1, 2})
  for _, entry in ipairs(log) do T.eq(entry[3], 3, "everyone passes when the last arrives") end
  T.eq(b:n_waiting(), 0)
  T.eq(b:broken(), false)
end)

T.test("the barrier can be used again, round after round", function()
  local b = asyncio.Barrier(2)
  local rounds = {}
  local function worker(name, delay)
    return spawn(function()
      for round = 1, 3 do
        await(asyncio.sleep(delay))
        await(b:wait())
        rounds[#rounds + 1] = string.format("%s%d@%g", name, round, now())
      end
    end)
  end
  local a, c = worker("a", 1), worker("c", 2)
  await(asyncio.gather(a, c))
  table.sort(rounds)
  T.eq(rounds, {"a1@2", "a2@4", "a3@6", "c1@2", "c2@4", "c3@6"})
end)

T.test("a barrier for one party never waits", function()
  local b = asyncio.Barrier(1)
  T.eq(await(b:wait()), 0)
  T.eq(await(b:wait()), 0)
  T.eq(now(), 0)
end)

T.test("abort breaks the barrier for those waiting and for later arrivals", function()
  local b = asyncio.Barrier(3)
  local waiter = spawn(function() return pcall(await, b:wait()) end)
  await(asyncio.sleep(1))
  T.eq(b:n_waiting(), 1)
  await(b:abort())
  T.eq(b:broken(), true)
  local ok, err = await(waiter)
  T.eq(ok, false)
  T.ok(asyncio.BrokenBarrierError:is(err), tostring(err))
  T.ok(asyncio.Error:is(err), "BrokenBarrierError is an asyncio.Error")
  T.raises(asyncio.BrokenBarrierError, function() await(b:wait()) end)
  T.eq(b:n_waiting(), 0)
end)

T.test("reset breaks the current round and makes a broken barrier usable", function()
  local b = asyncio.Barrier(2)
  local waiter = spawn(function() return pcall(await, b:wait()) end)
  await(asyncio.sleep(1))
  await(b:reset())
  local ok, err = await(waiter)
  T.eq(ok, false)
  T.ok(asyncio.BrokenBarrierError:is(err))
  T.eq(b:broken(), false)
  -- a fresh round works
  local t = spawn(function() return await(b:wait()) end)
  T.eq(await(b:wait()) + await(t), 1)
  await(b:abort())
  T.eq(b:broken(), true)
  await(b:reset())
  T.eq(b:broken(), false)
  local t2 = spawn(function() return await(b:wait()) end)
  T.eq(await(b:wait()) + await(t2), 1)
end)

T.test("a waiter cancelled inside the barrier leaves it", function()
  local b = asyncio.Barrier(3)
  local w = spawn(function() await(b:wait()) end)
  await(asyncio.sleep(1))
  T.eq(b:n_waiting(), 1)
  w:cancel()
  T.raises(asyncio.CancelledError, function() await(w) end)
  T.eq(b:n_waiting(), 0, "the cancelled task no longer counts")
  local others = {}
  for i = 1, 3 do others[i] = spawn(function() return await(b:wait()) end) end
  local r = await(asyncio.gather(others[1], others[2], others[3]))
  T.eq({r[1], r[2], r[3]}, {0, 1, 2})
end)

T.test("tasks that arrive while the barrier drains wait for the next round", function()
  local b = asyncio.Barrier(2)
  local order = {}
  local function go(name)
    return spawn(function()
      local i = await(b:wait())
      order[#order + 1] = name .. i
    end)
  end
  local t1, t2, t3, t4 = go("a"), go("b"), go("c"), go("d")
  await(asyncio.gather(t1, t2, t3, t4))
  T.eq(order, {"b1", "a0", "d1", "c0"})
end)

T.test("bad arguments", function()
  T.raises("bad argument #1 to 'Barrier' %(parties must be >= 1%)", asyncio.Barrier, 0)
  T.raises("bad argument #1 to 'Barrier' %(integer expected, got string%)", asyncio.Barrier, "2")
  T.raises("bad argument #1 to 'Barrier' %(integer expected, got number%)", asyncio.Barrier, 1.5)
  T.ok(tostring(asyncio.Barrier(2)):find("asyncio.Barrier [filling, waiters:0/2]", 1, true))
end)

T.done()
