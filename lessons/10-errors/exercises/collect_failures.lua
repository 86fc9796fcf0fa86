-- Exercise: collect_failures
--
-- `check_all(hosts)` pings every host at the same time. Some pings fail
-- with an error message. Return two lists, both in the order of `hosts`:
--   up:   the names of the hosts that answered
--   down: "<name>: <error>" for each host that failed
-- Every host must be checked, even when some fail.

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
  -- TODO: gather the tasks so that errors come back among the results
  --       instead of being raised; then sort each host into up or down
  --       (task:exception() tells you whether a task failed).
  local results = await(asyncio.gather(table.unpack(tasks)))
  local up, down = {}, {}
  for i = 1, results.n do
    up[#up + 1] = results[i]
  end
  return up, down
end)

return { check_all = check_all }
