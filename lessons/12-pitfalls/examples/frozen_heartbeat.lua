-- A blocking call freezes everything; an awaited one lets others run.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local heartbeat = async(function(beats)
  for _ = 1, beats do
    print(now(), "heartbeat")
    await(asyncio.sleep(0.5))
  end
end)

local blocking_job = async(function()
  print(now(), "blocking job: time.sleep(2) holds the whole thread")
  time.sleep(2)
  print(now(), "blocking job done")
end)

local polite_job = async(function()
  print(now(), "polite job: await(asyncio.sleep(2)) lets others run")
  await(asyncio.sleep(2))
  print(now(), "polite job done")
end)

asyncio.run(async(function()
  await(asyncio.gather(heartbeat(4), blocking_job()))
  print("---")
  await(asyncio.gather(heartbeat(4), polite_job()))
end)(), { debug = true })
