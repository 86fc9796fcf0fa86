-- Checks for the status_board exercise.
local chores = {
  { name = "wash", seconds = 1 },
  { name = "dry", seconds = 2 },
  { name = "fold", seconds = 3 },
}

local function check_board(t, board, expected)
  t.ok(type(board) == "table", "status_board should return a table, got " .. type(board))
  for _, name in ipairs({ "wash", "dry", "fold" }) do
    t.eq(board[name], expected[name], "board." .. name)
  end
end

return {
  {
    name = "the board at 1.5 s",
    points = 2,
    run = function(t)
      local r = t.call(t.load().status_board, chores, 1.5)
      t.no_error(r)
      check_board(t, r.values[1], { wash = "wash: done", dry = "running", fold = "running" })
    end,
  },
  {
    name = "the board is made at look_at, while chores still run",
    points = 1,
    run = function(t)
      local r = t.call(t.load().status_board, chores, 1.5)
      t.no_error(r)
      t.time(r, 1.5, {
        [6.0] = "6.0 s is 1 + 2 + 3: the chores ran one after another, and all were over before you looked. "
          .. "Tasks let them run together while you wait for look_at.",
        [7.5] = "7.5 s: the chores ran one after another, and then you waited look_at more seconds.",
        [3.0] = "3.0 s: the board was made after every chore had finished; look at look_at seconds instead.",
      })
    end,
  },
  {
    name = "the board at 2.5 s, and one task per chore",
    points = 1,
    run = function(t)
      local r = t.call(t.load().status_board, chores, 2.5)
      t.no_error(r)
      check_board(t, r.values[1], { wash = "wash: done", dry = "dry: done", fold = "running" })
      t.ok(r.tasks >= 3, "expected a task for each of the 3 chores, saw " .. tostring(r.tasks))
    end,
  },
  {
    name = "the board is made at look_at even when every chore is done sooner",
    points = 1,
    run = function(t)
      local r = t.call(t.load().status_board, chores, 5)
      t.no_error(r)
      check_board(t, r.values[1], { wash = "wash: done", dry = "dry: done", fold = "fold: done" })
      t.time(r, 5.0, {
        [3.0] = "3.0 s: the board was made when the last chore finished, before look_at (5 s). "
          .. "asyncio.wait with a timeout returns as soon as everything is done; sleep until look_at instead.",
      })
    end,
  },
}
