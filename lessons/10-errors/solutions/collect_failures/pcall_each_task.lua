-- Right: tasks started together, then each awaited under its own pcall
local problems = { beta = "connection refused", delta = "timed out" }

local ping = async(function(host)
  await(asyncio.sleep(#host % 3 + 1))     -- 1 to 3 seconds
  if problems[host] then
    error(problems[host], 0)
  end
  return host
end)

local check_all = async(function(hosts)
  local tasks = {}
  for i, host in ipairs(hosts) do
    tasks[i] = asyncio.create_task(ping(host))
  end
  local up, down = {}, {}
  for i, task in ipairs(tasks) do
    local ok, result = pcall(await, task)
    if ok then
      table.insert(up, result)
    else
      table.insert(down, string.format("%s: %s", hosts[i], tostring(result)))
    end
  end
  return up, down
end)

return { check_all = check_all }
