-- Three workers wait 2, 1 and 3 seconds, all at once.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local worker = async(function(name, seconds)
  print(now(), "worker " .. name .. " starts (" .. seconds .. " s)")
  await(asyncio.sleep(seconds))
  print(now(), "worker " .. name .. " finishes")
  return name .. " done"
end)

asyncio.run(async(function()
  local results = await(asyncio.gather(worker("A", 2), worker("B", 1), worker("C", 3)))
  print(now(), "results:", results[1], results[2], results[3])
end)())
