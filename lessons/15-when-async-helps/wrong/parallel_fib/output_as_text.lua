-- Wrong: returns the process's output as it is, a line of text, not a number
-- Fails: the results are right, in order
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
  return out
end)

local fibs = async(function(ns)
  local coros = {}
  for i, n in ipairs(ns) do
    coros[i] = fib_in_process(n)
  end
  return await(asyncio.gather(table.unpack(coros)))
end)

return { fibs = fibs }
