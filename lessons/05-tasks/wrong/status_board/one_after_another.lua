-- Wrong: awaits each chore in turn instead of starting them as tasks
-- Fails: the board is made at look_at, while chores still run
local do_chore = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name .. ": done"
end)

local status_board = async(function(chores, look_at)
  local tasks = {}
  for _, chore in ipairs(chores) do
    await(do_chore(chore.name, chore.seconds))
    tasks[#tasks + 1] = asyncio.create_task(do_chore(chore.name, 0), chore.name)
  end

  await(asyncio.sleep(look_at))

  local board = {}
  for _, task in ipairs(tasks) do
    board[task:get_name()] = task:done() and task:result() or "running"
  end
  return board
end)

return { status_board = status_board }
