-- The allocation-failure test's workload (alloc_fail.sh runs it with the Nth
-- allocation failing, for many N): tasks, timers, gather, TaskGroup, a
-- queue, JSON, fs and a subprocess, all in one asyncio.run. Whatever fails,
-- the state must work afterwards: a second run must succeed. Prints
-- "workload: ok" or "workload: error: <message>", then "after: ok".
-- Runs in a fresh temporary directory (it writes a file there).
local function workload()
  local json = require("asyncio.json")
  local fs = require("asyncio.fs")
  return asyncio.run(async(function()
    local loop = asyncio.get_running_loop()
    local fired = 0
    loop:call_later(0.5, function() fired = fired + 1 end)
    local h = loop:call_later(5, function() fired = fired + 100 end)
    h:cancel()
    local work = async(function(i)
      await(asyncio.sleep(i / 10))
      return i * 2
    end)
    local r = await(asyncio.gather(work(1), work(2), work(3)))
    assert(r[1] + r[2] + r[3] == 12)
    local q = asyncio.Queue()
    local results = {}
    do
      local tg <close> = asyncio.TaskGroup()
      for i = 1, 3 do
        tg:create_task(async(function()
          await(q:put(i))
          results[#results + 1] = await(q:get())
        end)())
      end
      tg:create_task(asyncio.sleep(0.2))
    end
    assert(#results == 3)
    local ok = pcall(await, asyncio.wait_for(asyncio.sleep(10), 1))
    assert(not ok)
    local text = json.encode({tasks = results, name = "workload", nested = {1, 2, {x = true}}})
    local back = json.decode(text)
    assert(back.name == "workload" and #back.tasks == 3)
    await(fs.write_file("workload.json", text))
    assert(await(fs.read_file("workload.json")) == text)
    local p = await(asyncio.create_subprocess_exec("echo", "hello", {stdout = "pipe"}))
    local out = await(p.stdout:read())
    assert(await(p:wait()) == 0 and out:match("hello"))
    await(asyncio.sleep(1))
    assert(fired == 1)
    return "ok"
  end)(), {clock = "virtual"})
end

local ok, err = pcall(workload)
io.write("workload: ", ok and "ok" or ("error: " .. tostring(err)), "\n")
-- The failure was once: everything works again.
local after = asyncio.run(async(function()
  local t = asyncio.create_task(asyncio.sleep(0.1, "after"))
  return await(t)
end)(), {clock = "virtual"})
io.write("after: ", after == "after" and "ok" or tostring(after), "\n")
