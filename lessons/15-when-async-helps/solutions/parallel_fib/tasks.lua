-- Right: one task per process, then each awaited in order
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
  local tasks = {}
  for i, n in ipairs(ns) do
    tasks[i] = asyncio.create_task(fib_in_process(n))
  end
  local results = {}
  for i, task in ipairs(tasks) do
    results[i] = await(task)
  end
  return results
end)

return { fibs = fibs }
