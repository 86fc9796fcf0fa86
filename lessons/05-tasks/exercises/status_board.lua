-- Exercise: status_board
--
-- Three chores run at the same time, each as a task named after the chore.
-- `look_at` seconds after the start, make a board of how each is doing:
--   board[name] = the task's result   if it is done
--   board[name] = "running"           if it is not
-- and return the board right then (don't wait for the rest).
--
-- With the chores below and look_at = 1.5, the board is
--   { wash = "wash: done", dry = "running", fold = "running" }

local do_chore = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name .. ": done"
end)

local status_board = async(function(chores, look_at)
  local tasks = {}
  -- TODO: start each chore as a task named chore.name (the second argument
  --       of asyncio.create_task), and keep the tasks in `tasks`.
  for _, chore in ipairs(chores) do
    await(do_chore(chore.name, chore.seconds))
  end

  -- TODO: wait until `look_at` seconds have passed.

  local board = {}
  -- TODO: for every task, put its result or "running" on the board,
  --       under the task's name (task:get_name()).
  return board
end)

return { status_board = status_board }
