-- Wrong: asyncio.wait with a timeout returns early when every chore is done sooner
-- Fails: the board is made at look_at even when every chore is done sooner
local do_chore = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name .. ": done"
end)

local status_board = async(function(chores, look_at)
  local tasks = {}
  for _, chore in ipairs(chores) do
    tasks[#tasks + 1] = asyncio.create_task(do_chore(chore.name, chore.seconds), chore.name)
  end

  await(asyncio.wait(tasks, { timeout = look_at }))

  local board = {}
  for _, task in ipairs(tasks) do
    board[task:get_name()] = task:done() and task:result() or "running"
  end
  return board
end)

return { status_board = status_board }
