-- shield: a timeout stops the waiting, not the work.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local save = async(function()
  await(asyncio.sleep(3))
  print(now(), "saved to disk")
  return "saved"
end)

asyncio.run(async(function()
  local saving = asyncio.create_task(save())
  local ok, err = pcall(await, asyncio.wait_for(asyncio.shield(saving), 1))
  print(now(), "stopped waiting: " .. tostring(err))
  print(now(), "but the save goes on, cancelled: " .. tostring(saving:cancelled()))
  local result = await(saving)
  print(now(), "result: " .. result)
end)())
