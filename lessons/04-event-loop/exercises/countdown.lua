-- Exercise: countdown
--
-- Count down from `from` to liftoff, one line per second, using only loop
-- callbacks: each tick schedules the next one. launch(3) prints
--   0.0 3
--   1.0 2
--   2.0 1
--   3.0 liftoff!
-- and returns "launched".
--
-- `launched` is a future: a box that a callback fills with set_result and
-- a coroutine can await (lesson 7 explains them properly).

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
    -- TODO: ask the loop to call tick(n - 1) one second from now.
  end

  -- TODO: ask the loop to call tick(from) as soon as possible.

  return await(launched)
end)

return { launch = launch }
