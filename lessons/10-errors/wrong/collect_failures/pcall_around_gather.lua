-- Wrong: a pcall around a plain gather: the first failure ends the whole check
-- Fails: hosts that answered are up
-- Fails: hosts that failed are down, with their error
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
  -- table.unpack expands to all its values only as the LAST argument of a
  -- call, so build the argument list first and put the options at its end.
  local ok, results = pcall(await, asyncio.gather(table.unpack(tasks)))
  local up, down = {}, {}
  if not ok then
    return up, { "all: " .. tostring(results) }
  end
  for i = 1, results.n do
    if tasks[i]:exception() then
      down[#down + 1] = hosts[i] .. ": " .. tostring(results[i])
    else
      up[#up + 1] = results[i]
    end
  end
  return up, down
end)

return { check_all = check_all }
