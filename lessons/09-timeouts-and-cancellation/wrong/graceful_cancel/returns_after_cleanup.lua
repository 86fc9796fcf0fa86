-- Wrong: cleans up, then returns instead of raising again: the cancellation is swallowed
-- Fails: the task still ends as cancelled
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local copy_one = async(function(file)
  await(asyncio.sleep(1))
end)

local copy_files = async(function(files)
  for _, file in ipairs(files) do
    local ok, err = pcall(await, copy_one(file))
    if not ok then
      print(now() .. " removing partial " .. file)
      return "stopped"
    end
    print(now() .. " copied " .. file)
  end
  return "all copied"
end)

-- Already written: no changes needed below.
local run_and_stop = async(function(files, stop_after)
  local task = asyncio.create_task(copy_files(files))
  await(asyncio.sleep(stop_after))
  task:cancel()
  pcall(await, task)
  return task:cancelled()
end)

return { copy_files = copy_files, run_and_stop = run_and_stop }
