-- Right: a local flag remembers whether somebody has won
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local quiz = async(function()
  local loop = asyncio.get_running_loop()
  local winner = asyncio.Future()

  local decided = false
  local function buzz(name)
    if not decided then
      decided = true
      winner:set_result(name)
    end
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
