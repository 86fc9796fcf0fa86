-- Wrong: picks the winner but leaves the slower pings running
-- Fails: the slower pings are cancelled
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local ping = async(function(mirror, seconds)
  await(asyncio.sleep(seconds))
  print(now() .. " " .. mirror .. " answered")
  return mirror
end)

local download_from = async(function(mirror)
  await(asyncio.sleep(5))
  return "file from " .. mirror
end)

local fetch_file = async(function(mirrors)
  local tasks = {}
  for i, m in ipairs(mirrors) do
    tasks[i] = asyncio.create_task(ping(m.name, m.seconds))
  end
  local done, pending = await(asyncio.wait(tasks, { return_when = "FIRST_COMPLETED" }))
  local winner = next(done):result()

  await(download_from(winner))
  return winner
end)

return { fetch_file = fetch_file }
