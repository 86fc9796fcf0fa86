-- loop:add_signal_handler / remove_signal_handler and asyncio.signal, on the
-- virtual clock. Signals come from `kill ... $PPID` in a child shell (its
-- parent is this process); what would end a process runs in a child luasync.
local T = require("testlib")

local luasync = arg[-1]

-- Sends signal `name` ("USR1") to this process and waits for the sender.
local function signal_me(name)
  local p = await(asyncio.create_subprocess_shell("kill -" .. name .. " $PPID"))
  T.eq(await(p:wait()), 0, "kill -" .. name)
end

-- Runs `code` in a child luasync; returns its returncode, stdout, stderr.
local function run_child(code, ...)
  local p = await(asyncio.create_subprocess_exec(luasync, "--virtual-time", "-e", code, ...,
    {stdout = "pipe", stderr = "pipe"}))
  local out, err = await(p:communicate())
  return p.returncode, out, err
end

T.test("asyncio.signal names the signals", function()
  T.eq(asyncio.signal.SIGTERM, 15)
  T.eq(asyncio.signal.SIGHUP, 1)
  T.eq(asyncio.signal.SIGUSR1, 10)
  T.eq(asyncio.signal.SIGUSR2, 12)
end)

T.test("the handler runs with its arguments each time the signal arrives", function()
  local loop = asyncio.get_running_loop()
  local calls = {}
  local arrived = asyncio.Event()
  loop:add_signal_handler(asyncio.signal.SIGUSR1, function(a, b)
    calls[#calls + 1] = {a, b, asyncio.current_task()}
    arrived:set()
  end, "first", 2)
  for round = 1, 2 do
    arrived:clear()
    signal_me("USR1")
    await(arrived:wait())
    T.eq(#calls, round)
  end
  T.eq(calls[1][1], "first")
  T.eq(calls[1][2], 2)
  T.eq(calls[1][3], nil, "it runs as a loop callback, outside any task")
  T.eq(loop:remove_signal_handler(asyncio.signal.SIGUSR1), true)
  T.eq(loop:remove_signal_handler("SIGUSR1"), false, "nothing left to remove")
end)

T.test("adding a handler again replaces it; names work as numbers", function()
  local loop = asyncio.get_running_loop()
  local who = nil
  local arrived = asyncio.Event()
  loop:add_signal_handler("SIGUSR2", function() who = "old"; arrived:set() end)
  loop:add_signal_handler("USR2", function() who = "new"; arrived:set() end)
  signal_me("USR2")
  await(arrived:wait())
  T.eq(who, "new")
  T.eq(loop:remove_signal_handler(12), true)
end)

T.test("an error in a handler is reported and the loop goes on", function()
  local code = [[
    asyncio.run(async(function()
      local loop = asyncio.get_running_loop()
      local done = asyncio.Event()
      loop:add_signal_handler("SIGHUP", function() error("handler failed") end)
      loop:add_signal_handler("SIGUSR1", function() done:set() end)
      await(asyncio.create_subprocess_shell("kill -HUP $PPID; sleep 0.1; kill -USR1 $PPID"))
      await(done:wait())
      print("still running")
    end)())
  ]]
  local rc, out, err = run_child(code)
  T.eq(rc, 0, err)
  T.eq(out, "still running\n")
  T.ok(err:find("Exception in callback", 1, true) and err:find("handler failed", 1, true), err)
end)

T.test("a program waiting for a signal is not a deadlock", function()
  local code = [[
    asyncio.run(async(function()
      local stop = asyncio.Event()
      asyncio.get_running_loop():add_signal_handler(asyncio.signal.SIGTERM, stop.set, stop)
      -- The sender runs in the background: the shell itself is gone, and
      -- nothing but the handler could ever wake this program.
      local sh = await(asyncio.create_subprocess_shell("(sleep 0.3; kill -TERM $PPID) &"))
      await(sh:wait())
      await(stop:wait())
      print("stopped by SIGTERM")
    end)())
  ]]
  local rc, out, err = run_child(code)
  T.eq(rc, 0, err)
  T.eq(out, "stopped by SIGTERM\n")
end)

T.test("removing the handler gives the signal back its default action", function()
  local code = [[
    asyncio.run(async(function()
      local loop = asyncio.get_running_loop()
      loop:add_signal_handler("SIGUSR1", print, "handled")
      assert(loop:remove_signal_handler("SIGUSR1"))
      local p = await(asyncio.create_subprocess_shell("kill -USR1 $PPID"))
      await(p:wait())
      await(asyncio.sleep(1))
      print("not reached")
    end)())
  ]]
  local rc, out = run_child(code)
  T.eq(rc, -asyncio.signal.SIGUSR1, "the process ended by SIGUSR1")
  T.eq(out, "")
end)

T.test("handlers end with their asyncio.run", function()
  local code = [[
    asyncio.run(async(function()
      asyncio.get_running_loop():add_signal_handler("SIGUSR2", print, "handled")
    end)())
    asyncio.run(async(function()
      local p = await(asyncio.create_subprocess_shell("kill -USR2 $PPID"))
      await(p:wait())
      await(asyncio.sleep(1))
      print("not reached")
    end)())
  ]]
  local rc, out = run_child(code)
  T.eq(rc, -asyncio.signal.SIGUSR2)
  T.eq(out, "")
end)

T.test("bad arguments", function()
  local loop = asyncio.get_running_loop()
  T.raises("SIGINT is asyncio.run's", loop.add_signal_handler, loop, 2, print)
  T.raises("9 is not a signal luasync handles", loop.add_signal_handler, loop, 9, print)
  T.raises("SIGKILL is not a signal luasync handles", loop.add_signal_handler, loop, "SIGKILL", print)
  T.raises("signal number expected, got table", loop.add_signal_handler, loop, {}, print)
  T.raises("function expected, got number", loop.add_signal_handler, loop, "SIGTERM", 5)
  T.raises("not a signal luasync handles", loop.remove_signal_handler, loop, 3)
end)

T.test("refused in the lesson sandbox", function()
  local p = await(asyncio.create_subprocess_exec(luasync, "learn", "exec", "-e", [[
    asyncio.run(async(function()
      local loop = asyncio.get_running_loop()
      print(pcall(loop.add_signal_handler, loop, "SIGTERM", print))
    end)())
  ]], {stdout = "pipe", stderr = "pipe"}))
  local out = await(p:communicate())
  T.eq(out, "false\tadd_signal_handler is not available in exercises (signals reach the whole process)\n")
end)

T.done()
