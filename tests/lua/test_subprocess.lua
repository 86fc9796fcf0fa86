-- Tests for subprocesses: asyncio.create_subprocess_exec / _shell
-- (runtime/io/process.cpp, runtime/io/lua/subprocess.lua), on the virtual clock.
-- While a child runs, the virtual clock waits for it (Loop::hold_clock).
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end
local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end
local exec = asyncio.create_subprocess_exec

T.test("echo through cat with communicate", function()
  local proc = await(exec("cat", {stdin = "pipe", stdout = "pipe"}))
  T.ok(math.type(proc.pid) == "integer" and proc.pid > 0)
  T.eq(proc.returncode, nil, "still running")
  T.ok(tostring(proc):find("running", 1, true))
  local out, err = await(proc:communicate("hello, cat\n"))
  T.eq(out, "hello, cat\n")
  T.eq(err, nil, "stderr is not piped")
  T.eq(proc.returncode, 0)
  T.eq(proc.signal, nil)
  T.ok(tostring(proc):find("returncode=0", 1, true))
end)

T.test("stdin and stdout are streams: line by line through cat", function()
  local proc = await(exec("cat", {stdin = "pipe", stdout = "pipe"}))
  for i = 1, 50 do
    proc.stdin:write("line " .. i .. "\n")
    await(proc.stdin:drain())
    T.eq(await(proc.stdout:readline()), "line " .. i .. "\n")
  end
  proc.stdin:close()
  T.eq(await(proc.stdout:read()), "", "EOF once stdin is closed")
  T.eq(await(proc:wait()), 0)
end)

T.test("exit codes", function()
  for _, code in ipairs({0, 1, 7, 255}) do
    local proc = await(exec("sh", "-c", "exit " .. code))
    T.eq(await(proc:wait()), code)
    T.eq(proc.returncode, code)
    T.eq(await(proc:wait()), code, "wait after the exit")
  end
end)

T.test("a signal ends the child: negative returncode and .signal", function()
  local proc = await(exec("sleep", "30"))
  proc:terminate()
  T.eq(await(proc:wait()), -15)
  T.eq(proc.returncode, -15)
  T.eq(proc.signal, 15)
  proc = await(exec("sleep", "30"))
  proc:kill()
  T.eq(await(proc:wait()), -9)
  T.eq(proc.signal, 9)
  proc = await(exec("sleep", "30"))
  proc:send_signal("SIGINT")
  T.eq(await(proc:wait()), -2)
  proc:kill() -- after the exit: nothing happens
  T.raises("unknown signal", function() proc:send_signal("SIGNOPE") end)
end)

T.test("stdout and stderr are separate pipes", function()
  local proc = await(exec("sh", "-c", "echo out; echo err >&2; exit 3",
    {stdout = "pipe", stderr = "pipe"}))
  local out, err = await(proc:communicate())
  T.eq(out, "out\n")
  T.eq(err, "err\n")
  T.eq(proc.returncode, 3)
end)

T.test("much output on both pipes does not deadlock communicate", function()
  local proc = await(exec("sh", "-c",
    "head -c 1000000 /dev/zero >&2; head -c 3000000 /dev/zero; echo done >&2",
    {stdout = "pipe", stderr = "pipe"}))
  local out, err = await(proc:communicate())
  T.eq(#out, 3000000)
  T.eq(#err, 1000005)
  T.eq(proc.returncode, 0)
end)

T.test("a large input through communicate", function()
  local data = string.rep("0123456789", 500000) -- 5 MB: more than a pipe holds
  local proc = await(exec("wc", "-c", {stdin = "pipe", stdout = "pipe"}))
  local out = await(proc:communicate(data))
  T.eq(tonumber(out:match("%d+")), #data)
end)

T.test("a program that does not exist is an OSError", function()
  local err = T.raises(asyncio.OSError, function() return await(exec("/no/such/program", "x")) end)
  T.eq(err.code, "ENOENT")
  T.eq(err.path, "/no/such/program")
  T.eq(tostring(err), "ENOENT: no such file or directory: /no/such/program")
  err = T.raises(asyncio.OSError, function() return await(exec("no-such-program-anywhere")) end)
  T.eq(err.code, "ENOENT")
end)

T.test("the virtual clock waits for a running child", function()
  local proc = await(exec("sleep", "0.2"))
  -- 0.2 s of real time, while a 1 s virtual timeout is armed: the clock
  -- must not jump to the timeout while the child runs.
  T.eq(await(asyncio.wait_for(proc:wait(), 1)), 0)
  T.ok(now() < 1, "no timeout")
end)

T.test("cwd, env and devnull options", function()
  local proc = await(exec("sh", "-c", "pwd; echo $GREETING; cat",
    {cwd = "/tmp", env = {GREETING = "hi there", PATH = os.getenv("PATH")}, stdin = "devnull",
     stdout = "pipe"}))
  local out = await(proc:communicate())
  T.eq(out, "/tmp\nhi there\n")
end)

T.test("create_subprocess_shell", function()
  local proc = await(asyncio.create_subprocess_shell("echo $((6 * 7)) | tr 4 X", {stdout = "pipe"}))
  T.eq(await(proc.stdout:read()), "X2\n")
  T.eq(await(proc:wait()), 0)
end)

T.test("a process in a to-be-closed variable is killed at the end of the block", function()
  local p
  do
    local proc <close> = await(exec("sleep", "30", {stdout = "pipe"}))
    p = proc
  end
  T.eq(await(p:wait()), -9)
end)

T.test("cancelling a task that waits for a child leaves the child alone", function()
  local proc = await(exec("cat", {stdin = "pipe", stdout = "pipe"}))
  local waiter = spawn(function() return await(proc:wait()) end)
  local reader = spawn(function() return await(proc.stdout:read()) end)
  await(asyncio.sleep(0))
  waiter:cancel()
  reader:cancel()
  T.raises(asyncio.CancelledError, function() return await(waiter) end)
  T.raises(asyncio.CancelledError, function() return await(reader) end)
  T.eq(proc.returncode, nil)
  proc.stdin:write("still there\n")
  T.eq(await(proc.stdout:readline()), "still there\n")
  proc.stdin:close()
  T.eq(await(proc:wait()), 0)
end)

T.test("many children at once", function()
  local procs = {}
  for i = 1, 20 do
    procs[i] = async(function()
      local p = await(exec("sh", "-c", "echo " .. i, {stdout = "pipe"}))
      local out = await(p:communicate())
      return tonumber(out)
    end)()
  end
  local results = await(asyncio.gather(table.unpack(procs)))
  for i = 1, 20 do T.eq(results[i], i) end
end)

T.test("argument errors", function()
  T.raises("bad argument #1 to 'create_subprocess_exec'", function() return await(exec(42)) end)
  T.raises("bad option 'stdout'", function() return await(exec("true", {stdout = "pipes"})) end)
  T.raises("string expected", function() return await(exec("echo", {}, "x")) end)
end)

T.done()
