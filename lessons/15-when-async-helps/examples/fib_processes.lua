-- Real parallelism: each computation in its own process.
local function fib_program(n)
  return "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end "
    .. "print(fib(" .. n .. "))"
end

-- The luasync program that runs this script: Lua puts the interpreter's
-- name at the most negative index of `arg`.
local function this_program()
  local i = -1
  while arg[i - 1] do i = i - 1 end
  return arg[i]
end

local fib_in_process = async(function(n)
  local proc = await(asyncio.create_subprocess_exec(this_program(), "-e", fib_program(n),
    { stdout = "pipe" }))
  local out = await(proc:communicate())       -- wait for its output and its exit
  return tonumber(out)
end)

asyncio.run(async(function()
  local ns = { 24, 25, 26, 27 }
  local coros = {}
  for i, n in ipairs(ns) do coros[i] = fib_in_process(n) end
  local results = await(asyncio.gather(table.unpack(coros)))
  for i, n in ipairs(ns) do
    print("fib(" .. n .. ") = " .. results[i])
  end
end)())
