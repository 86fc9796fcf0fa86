-- Wrong: waits for each process before starting the next
-- Fails: all processes run at the same time
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
  for i, n in ipairs(ns) do
    results[i] = await(fib_in_process(n))
  end
  return results
end)

return { fibs = fibs }
