-- gather: the first error, or every result and every error.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local check = async(function(host, seconds, problem)
  await(asyncio.sleep(seconds))
  if problem then
    error(host .. " " .. problem, 0)
  end
  return host .. " ok"
end)

asyncio.run(async(function()
  -- Without return_exceptions: the first error is raised from the await.
  local ok, err = pcall(await, asyncio.gather(
    check("alpha", 1), check("beta", 2, "refused the connection"), check("gamma", 3)))
  print(now(), "gather raised: " .. err)

  -- With return_exceptions: errors take their place among the results.
  local tasks = {
    asyncio.create_task(check("alpha", 1)),
    asyncio.create_task(check("beta", 2, "refused the connection")),
    asyncio.create_task(check("gamma", 3, "timed out")),
  }
  local results = await(asyncio.gather(tasks[1], tasks[2], tasks[3], { return_exceptions = true }))
  for i = 1, results.n do
    if tasks[i]:exception() then
      print(now(), "failed:    " .. results[i])
    else
      print(now(), "succeeded: " .. results[i])
    end
  end
end)())
