-- Wrong: calls ring at once and hands its result to call_later
-- Fails: every reminder rings at its time
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local function ring(text)
  print(now() .. " " .. text)
end

local remind = async(function(reminders)
  local loop = asyncio.get_running_loop()
  local last = 0
  for _, reminder in ipairs(reminders) do
    loop:call_later(reminder.at, ring(reminder.text))
    last = math.max(last, reminder.at)
  end
  -- Timers due at the same moment run in the order they were scheduled,
  -- so a sleep scheduled after the last timer wakes up after it has rung.
  await(asyncio.sleep(last))
end)

return { remind = remind }
