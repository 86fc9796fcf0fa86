-- Exercise: quiz_buzzer
--
-- Three players press their buzzers at different times; `buzz(name)` is
-- called for each press. The first to buzz wins: `winner` (a future) must
-- be filled with that name. The host thanks every player who buzzes,
-- including the late ones:
--   1.0 thanks, Bo
--   2.0 thanks, Cy
--   3.0 thanks, Al
-- quiz() returns the winner's name once everyone has buzzed.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local quiz = async(function()
  local loop = asyncio.get_running_loop()
  local winner = asyncio.Future()

  local function buzz(name)
    -- TODO: a future can be filled only once. Fill `winner` only if
    --       nobody has filled it yet.
    winner:set_result(name)
    print(now() .. " thanks, " .. name)
  end

  loop:call_later(3, buzz, "Al")
  loop:call_later(1, buzz, "Bo")
  loop:call_later(2, buzz, "Cy")

  local first = await(winner)
  await(asyncio.sleep(2))            -- let the others buzz too
  return first
end)

return { quiz = quiz }
