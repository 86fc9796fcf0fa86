-- subprocess.lua: asyncio.create_subprocess_exec / create_subprocess_shell
-- and proc:communicate(), over the native asyncio._process
-- (runtime/io/process.cpp).
--
--   local proc = await(asyncio.create_subprocess_exec("cat", {stdin = "pipe", stdout = "pipe"}))
--   local out, err = await(proc:communicate("hello"))
--   print(out, proc.returncode)
--
-- The last argument, when it is a table, holds the options: stdin, stdout,
-- stderr ("pipe", "inherit" (the default) or "devnull"), cwd, and env (a
-- table that replaces the whole environment). A process has pid, returncode
-- (nil while it runs; -N when signal N ended it, as in Python), signal (the
-- signal that ended it, or nil), stdin (a StreamWriter), stdout and stderr
-- (StreamReaders) when piped, and the methods wait(), communicate([input]),
-- send_signal(sig), terminate(), kill(). It is a to-be-closed value:
-- closing it kills the child if it still runs and closes its pipes.
local asyncio = ...

local async, await = asyncio.async, asyncio.await

local native = require("asyncio._process")
local check_options = asyncio._check_options
local spawn_options = {"stdin", "stdout", "stderr", "cwd", "env"}

-- Splits the variadic arguments of create_subprocess_exec into an argument
-- array and the options table.
local function split_args(...)
  local n = select("#", ...)
  local args = {...}
  local opts
  if n > 0 and type(args[n]) == "table" then
    opts = args[n]
    args[n] = nil
  end
  return args, opts
end

asyncio.create_subprocess_exec = async(function(program, ...)
  if type(program) ~= "string" then
    error("bad argument #1 to 'create_subprocess_exec' (string expected, got " .. type(program) .. ")", 2)
  end
  local args, opts = split_args(...)
  check_options(opts, "create_subprocess_exec", spawn_options)
  return native.spawn(program, args, opts)
end)

-- asyncio.create_subprocess_shell(cmd [, opts]): runs cmd with /bin/sh -c.
asyncio.create_subprocess_shell = async(function(cmd, opts)
  if type(cmd) ~= "string" then
    error("bad argument #1 to 'create_subprocess_shell' (string expected, got " .. type(cmd) .. ")", 2)
  end
  check_options(opts, "create_subprocess_shell", spawn_options, 2)
  return native.spawn("/bin/sh", {"-c", cmd}, opts)
end)

-- proc:communicate([input]): writes input to stdin and closes it, reads
-- stdout and stderr to EOF (both at once, so that a child filling one pipe
-- cannot block on it), waits for the exit; returns stdout, stderr (nil for
-- a stream that is not piped).
native.Process.communicate = async(function(proc, input)
  local stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
  if stdin ~= nil and not stdin:is_closing() then
    if input ~= nil then stdin:write(input) end
    stdin:close() -- the queued input is written before the pipe closes
  elseif input ~= nil then
    error("communicate: input given but stdin is not a pipe", 2)
  end
  local out, err
  if stdout ~= nil and stderr ~= nil then
    local both = await(asyncio.gather(stdout:read(), stderr:read()))
    out, err = both[1], both[2]
  elseif stdout ~= nil then
    out = await(stdout:read())
  elseif stderr ~= nil then
    err = await(stderr:read())
  end
  await(proc:wait())
  return out, err
end)
