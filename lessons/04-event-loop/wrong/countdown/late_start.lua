-- Wrong: the first tick also waits a second, so everything is one second late
-- Fails: launch(3) counts down and lifts off
-- Fails: liftoff comes exactly `from` seconds after the start
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local launch = async(function(from)
  local loop = asyncio.get_running_loop()
  local launched = loop:create_future()

  local function tick(n)
    if n == 0 then
      print(now() .. " liftoff!")
      launched:set_result("launched")
      return
    end
    print(now() .. " " .. n)
    loop:call_later(1, tick, n - 1)
  end

  loop:call_later(1, tick, from)

  return await(launched)
end)

return { launch = launch }
