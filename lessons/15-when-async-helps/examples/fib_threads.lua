-- Two computations on two cores, and the loop free meanwhile.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

asyncio.run(async(function()
  local ns = { 24, 25, 26, 27 }
  local calls = {}
  for i, n in ipairs(ns) do calls[i] = asyncio.to_thread(fib, n) end
  local results = await(asyncio.gather(table.unpack(calls)))
  for i, n in ipairs(ns) do
    print("fib(" .. n .. ") = " .. results[i])
  end

  local limit = 10
  local ok, err = pcall(function()
    return await(asyncio.to_thread(function(n) return n + limit end, 1))
  end)
  print(err)
end)())
