-- A task that fails while nobody is looking.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local send_report = async(function()
  await(asyncio.sleep(1))
  error("mail server said no", 0)
end)

asyncio.run(async(function()
  asyncio.create_task(send_report())     -- started, and then forgotten
  await(asyncio.sleep(2))
  print(now(), "main thinks everything went fine")
end)())
