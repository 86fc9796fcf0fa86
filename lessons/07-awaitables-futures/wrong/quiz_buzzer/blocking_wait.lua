-- Wrong: waits for the others with time.sleep, which blocks the loop
-- Fails: every player is thanked
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
  time.sleep(2)            -- let the others buzz too
  return first
end)

return { quiz = quiz }
