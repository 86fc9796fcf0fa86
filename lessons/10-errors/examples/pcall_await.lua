-- Errors come out of await; pcall catches them like any other Lua error.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local read_sensor = async(function(name)
  await(asyncio.sleep(1))
  if name == "garage" then
    error({ sensor = name, reason = "battery empty" })   -- an error can be any value
  end
  return 21
end)

asyncio.run(async(function()
  for _, name in ipairs({ "kitchen", "garage" }) do
    local ok, result = pcall(await, read_sensor(name))
    if ok then
      print(now(), name .. ": " .. result .. " C")
    else
      print(now(), name .. ": no reading (" .. result.reason .. ")")
    end
  end

  -- A task keeps its error until someone awaits it.
  local task = asyncio.create_task(read_sensor("garage"))
  await(asyncio.sleep(2))
  print(now(), "task done: " .. tostring(task:done()) .. ", its error: " .. task:exception().reason)
  local ok, err = pcall(await, task)
  print(now(), "awaiting it raises the same value: " .. tostring(not ok and err == task:exception()))
end)())
