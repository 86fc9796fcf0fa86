-- Wrong: defines tick but never schedules the first one: launch waits forever
-- Fails: launch(3) counts down and lifts off
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


  return await(launched)
end)

return { launch = launch }
