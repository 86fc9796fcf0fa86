-- Exercise: parallel_fib
--
-- fibs(ns) computes fib(n) for every n in ns, each in its own luasync
-- process, and returns the results in the order of ns. Each process
-- announces itself: "started <n>" when launched, "finished <n>" when its
-- result is in. As written, each process is started only after the
-- previous one has finished, so only one core is ever busy:
--   started 24, finished 24, started 25, finished 25, ...
-- Make all processes run at the same time:
--   started 24, started 25, ..., then the "finished" lines.

local function fib_program(n)
  return "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end "
    .. "print(fib(" .. n .. "))"
end

-- The luasync program: the interpreter's name is at the most negative
-- index of `arg` when there is one; otherwise luasync on the PATH.
local function luasync_program()
  if arg then
    local i = -1
    while arg[i - 1] do i = i - 1 end
    if arg[i] then return arg[i] end
  end
  return "luasync"
end

local fib_in_process = async(function(n)
  local proc = await(asyncio.create_subprocess_exec(luasync_program(), "-e", fib_program(n),
    { stdout = "pipe" }))
  print("started " .. n)
  local out = await(proc:communicate())
  print("finished " .. n)
  return tonumber(out)
end)

local fibs = async(function(ns)
  local results = {}
  -- TODO: start every process before waiting for any of them
  --       (and keep the results in the order of ns).
  for i, n in ipairs(ns) do
    results[i] = await(fib_in_process(n))
  end
  return results
end)

return { fibs = fibs }
