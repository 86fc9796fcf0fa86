-- Right: one task per reminder that sleeps and rings, gathered
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local function ring(text)
  print(now() .. " " .. text)
end

local ring_at = async(function(reminder)
  await(asyncio.sleep(reminder.at))
  ring(reminder.text)
end)

local remind = async(function(reminders)
  local alarms = {}
  for i, reminder in ipairs(reminders) do
    alarms[i] = ring_at(reminder)
  end
  await(asyncio.gather(table.unpack(alarms)))
end)

return { remind = remind }
