-- Right: each task writes its line from a done callback
local do_chore = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name .. ": done"
end)

local status_board = async(function(chores, look_at)
  local board = {}
  for _, chore in ipairs(chores) do
    board[chore.name] = "running"
    local task = asyncio.create_task(do_chore(chore.name, chore.seconds))
    task:add_done_callback(function(t) board[chore.name] = t:result() end)
  end
  await(asyncio.sleep(look_at))
  return board
end)

return { status_board = status_board }
