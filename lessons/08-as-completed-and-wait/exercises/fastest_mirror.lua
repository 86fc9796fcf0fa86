-- Exercise: fastest_mirror
--
-- Three mirrors carry the same file. Ping them all at once, pick the one
-- that answers first, CANCEL the other pings (they waste bandwidth), and
-- then download from the winner (5 s). Return the winner's name.
--
-- With the pings below, mirror-b answers at 1.0, the download ends at 6.0,
-- and the only "answered" line printed is mirror-b's.

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
  -- TODO: start one ping task per mirror (ping(m.name, m.seconds)), then use
  --       asyncio.wait with return_when = "FIRST_COMPLETED" to get the first
  --       one done, and cancel every task that is still pending.
  local coros = {}
  for i, m in ipairs(mirrors) do
    coros[i] = ping(m.name, m.seconds)
  end
  local answers = await(asyncio.gather(table.unpack(coros)))
  local winner = answers[1]

  await(download_from(winner))
  return winner
end)

return { fetch_file = fetch_file }
