-- Wrong: pings the hosts one after another, each under pcall
-- Fails: all hosts are pinged at the same time
local problems = { beta = "connection refused", delta = "timed out" }

local ping = async(function(host)
  await(asyncio.sleep(#host % 3 + 1))     -- 1 to 3 seconds
  if problems[host] then
    error(problems[host], 0)
  end
  return host
end)

local check_all = async(function(hosts)
  local up, down = {}, {}
  for _, host in ipairs(hosts) do
    local ok, result = pcall(await, ping(host))
    if ok then
      up[#up + 1] = result
    else
      down[#down + 1] = host .. ": " .. tostring(result)
    end
  end
  return up, down
end)

return { check_all = check_all }
