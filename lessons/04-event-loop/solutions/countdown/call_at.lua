-- Right: each tick schedules the next at an absolute time with call_at
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
    loop:call_at(loop:time() + 1, tick, n - 1)
  end

  loop:call_soon(tick, from)

  return await(launched)
end)

return { launch = launch }
