-- Cancelling a task: CancelledError appears at its await, it cleans up.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local backup = async(function(files)
  for i, file in ipairs(files) do
    local ok, err = pcall(await, asyncio.sleep(1))     -- copying takes 1 s
    if not ok then
      print(now(), "interrupted while copying " .. file .. ": " .. tostring(err))
      print(now(), "removing the half-copied " .. file)
      error(err, 0)            -- pass the cancellation on: we really stop
    end
    print(now(), "copied " .. file)
  end
  return "backup complete"
end)

asyncio.run(async(function()
  local task = asyncio.create_task(backup({ "a.doc", "b.doc", "c.doc", "d.doc" }))
  await(asyncio.sleep(2.5))
  task:cancel("user pressed stop")

  local ok, err = pcall(await, task)
  print(now(), "awaiting the task raised: " .. tostring(err))
  print(now(), "task cancelled: " .. tostring(task:cancelled()))
end)())
