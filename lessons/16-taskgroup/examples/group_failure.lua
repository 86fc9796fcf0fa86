-- When one task in a group fails, the others are cancelled.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local job = async(function(name, seconds, problem)
  local ok, err = pcall(await, asyncio.sleep(seconds))
  if not ok then
    print(now(), name .. " was cancelled")
    error(err, 0)
  end
  if problem then
    error(name .. ": " .. problem, 0)
  end
  print(now(), name .. " finished")
end)

local run_jobs = async(function()
  local tg <close> = asyncio.TaskGroup()
  tg:create_task(job("quick", 1))
  tg:create_task(job("fragile", 2, "disk full"))
  tg:create_task(job("slow", 10))
  tg:create_task(job("brittle", 2, "out of memory"))
end)

asyncio.run(async(function()
  local ok, err = pcall(await, run_jobs())
  print(now(), "the group raised: " .. tostring(err))
  print(now(), "it is an ExceptionGroup: " .. tostring(asyncio.ExceptionGroup:is(err)))
  for i, e in ipairs(err.exceptions) do
    print(now(), "  failure " .. i .. ": " .. tostring(e))
  end
end)())
