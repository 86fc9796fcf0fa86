-- Exercise: graceful_cancel
--
-- `copy_files(files)` copies one file per second. When it is cancelled in
-- the middle of a file, it must
--   1. print "<time> removing partial <file>", and
--   2. still end as cancelled (the one who cancelled it is waiting for that).
-- `run_and_stop` (already written) starts the copy as a task, cancels it
-- after `stop_after` seconds, and reports what happened.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local copy_one = async(function(file)
  await(asyncio.sleep(1))
end)

local copy_files = async(function(files)
  for _, file in ipairs(files) do
    -- TODO: if this await raises (a CancelledError), print the cleanup line
    --       for `file`, then raise the same error again so the task stops.
    await(copy_one(file))
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
