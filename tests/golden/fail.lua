-- A task that fails: the API fetch raises after 1.5 s; gather collects the
-- error instead of raising it.
local fetch = async(function(name, seconds, fail)
  await(asyncio.sleep(seconds))
  if fail then error("cannot fetch " .. name) end
  return name
end)

local main = async(function()
  local results = await(asyncio.gather(
    fetch("Database", 2),
    fetch("API", 1.5, true),
    fetch("File", 1),
    {return_exceptions = true}))
  for i = 1, results.n do print(i, tostring(results[i])) end
end)

asyncio.run(main())
