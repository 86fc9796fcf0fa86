-- Tests for asyncio.as_completed (runtime/core/lua/wait.lua), on the virtual clock.
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end

local delayed = async(function(d, v)
  await(asyncio.sleep(d))
  return v
end)

local failing = async(function(d, err)
  await(asyncio.sleep(d))
  error(err, 0)
end)

T.test("results come in completion order, each at its own time", function()
  local got, times = {}, {}
  for aw in asyncio.as_completed({delayed(3, "c"), delayed(1, "a"), delayed(2, "b")}) do
    got[#got + 1] = await(aw)
    times[#times + 1] = now()
  end
  T.eq(got, {"a", "b", "c"})
  T.eq(times, {1.0, 2.0, 3.0})
end)

T.test("the values yielded are coroutine objects", function()
  local n = 0
  for aw in asyncio.as_completed({delayed(1, 1), delayed(2, 2)}) do
    T.ok(asyncio.iscoroutine(aw))
    n = n + 1
    await(aw)
  end
  T.eq(n, 2)
end)

T.test("an error is raised by the await of its turn", function()
  local got = {}
  for aw in asyncio.as_completed({delayed(2, "ok"), failing(1, "bad")}) do
    local ok, v = pcall(await, aw)
    got[#got + 1] = (ok and "ok:" or "err:") .. tostring(v)
  end
  T.eq(got, {"err:bad", "ok:ok"})
end)

T.test("timeout: the remaining awaits raise TimeoutError at the deadline", function()
  local got = {}
  local slow = asyncio.create_task(delayed(10, "slow"))
  for aw in asyncio.as_completed({delayed(1, "fast"), slow, delayed(20, "slower")}, {timeout = 5}) do
    local ok, v = pcall(await, aw)
    if ok then
      got[#got + 1] = string.format("%s@%g", v, now())
    else
      T.ok(asyncio.TimeoutError:is(v), "TimeoutError")
      got[#got + 1] = string.format("timeout@%g", now())
    end
  end
  T.eq(got, {"fast@1", "timeout@5", "timeout@5"})
  T.ok(not slow:done() and not slow:cancelled(), "nothing is cancelled")
end)

T.test("futures already done come first, in array order", function()
  local f1, f2 = asyncio.Future(), asyncio.Future()
  f2:set_result("two")
  f1:set_result("one")
  local got = {}
  for aw in asyncio.as_completed({delayed(1, "later"), f1, f2}) do
    got[#got + 1] = await(aw)
  end
  T.eq(got, {"one", "two", "later"})
end)

T.test("one value per distinct awaitable", function()
  local t = asyncio.create_task(delayed(1, "t"))
  local n = 0
  for aw in asyncio.as_completed({t, t, delayed(2, "c")}) do
    n = n + 1
    await(aw)
  end
  T.eq(n, 2)
  local m = 0
  for _ in asyncio.as_completed({}) do m = m + 1 end
  T.eq(m, 0)
end)

T.test("the awaitables can be awaited together", function()
  local aws = {}
  for aw in asyncio.as_completed({delayed(2, "b"), delayed(1, "a")}) do aws[#aws + 1] = aw end
  local res = await(asyncio.gather(aws[1], aws[2]))
  T.eq(res, {"a", "b", n = 2})
  T.eq(now(), 2.0)
end)

T.test("bad arguments name the argument", function()
  T.raises("bad argument #1 to 'as_completed' %(array or set of awaitables expected, got number%)",
    asyncio.as_completed, 5)
  T.raises("bad argument #1 to 'as_completed' %(element 1: awaitable expected, got string%)",
    asyncio.as_completed, {"x"})
  T.raises("bad argument #2 to 'as_completed' %(field 'timeout': number expected, got boolean%)",
    asyncio.as_completed, {}, {timeout = true})
end)

T.done()
