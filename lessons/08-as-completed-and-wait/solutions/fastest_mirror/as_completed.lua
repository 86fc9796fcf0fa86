-- Right: the first result of as_completed, then every ping cancelled
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
  local winner
  for first in asyncio.as_completed(tasks) do
    winner = await(first)
    break
  end
  for _, task in ipairs(tasks) do
    task:cancel()                    -- cancelling a finished task does nothing
  end

  await(download_from(winner))
  return winner
end)

return { fetch_file = fetch_file }
