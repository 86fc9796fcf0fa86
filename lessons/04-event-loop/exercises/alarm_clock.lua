-- Exercise: alarm_clock
--
-- `remind(reminders)` gets a list like
--   { { at = 4, text = "go home" }, { at = 1, text = "stretch" } }
-- and must print each text at its time, as "<time> <text>", e.g.
--   1.0 stretch
--   4.0 go home
-- Use the loop's timers: loop:call_later(delay, fn, ...) runs fn(...) later.
-- remind must not return before the last reminder has rung, and not later.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local function ring(text)
  print(now() .. " " .. text)
end

local remind = async(function(reminders)
  local loop = asyncio.get_running_loop()
  -- TODO: for each reminder, ask the loop to call ring(reminder.text)
  --       reminder.at seconds from now.

  -- TODO: the loop stops when remind returns. Stay alive (sleep) exactly
  --       until the last reminder is due.
end)

return { remind = remind }
