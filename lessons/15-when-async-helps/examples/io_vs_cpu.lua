-- Waiting overlaps; computing does not.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local download = async(function(name)
  await(asyncio.sleep(1))              -- waiting: the thread is free meanwhile
  return name
end)

local compute = async(function(name, n)
  print(now(), name .. " starts computing")
  local result = fib(n)                -- real work: the thread is busy
  time.sleep(1)                        -- plus a stand-in for 1 s more of it (see the text)
  print(now(), name .. " is done: fib(" .. n .. ") = " .. result)
  return result
end)

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()
  local start = loop:time()
  await(asyncio.gather(download("a"), download("b"), download("c")))
  print(string.format("three downloads, gathered:    %.1f s", loop:time() - start))

  start = loop:time()
  await(asyncio.gather(compute("x", 20), compute("y", 21), compute("z", 22)))
  print(string.format("three computations, gathered: %.1f s", loop:time() - start))
end)())
