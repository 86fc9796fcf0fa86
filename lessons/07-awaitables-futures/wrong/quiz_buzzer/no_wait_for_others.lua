-- Wrong: returns as soon as there is a winner, so the loop closes before the others buzz
-- Fails: every player is thanked
-- Fails: the first to buzz wins
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local quiz = async(function()
  local loop = asyncio.get_running_loop()
  local winner = asyncio.Future()

  local function buzz(name)
    if not winner:done() then
      winner:set_result(name)
    end
    print(now() .. " thanks, " .. name)
  end

  loop:call_later(3, buzz, "Al")
  loop:call_later(1, buzz, "Bo")
  loop:call_later(2, buzz, "Cy")

  local first = await(winner)
  return first
end)

return { quiz = quiz }
