-- Checks for the background_download exercise.
return {
  {
    name = "evening returns the update and the tea",
    points = 1,
    run = function(t)
      local r = t.call(t.load().evening)
      t.no_error(r)
      t.eq(r.values[1], "update 1.2 installed", "the first result should be the download's")
      t.eq(r.values[2], "a cup of tea", "the second result should be the tea")
    end,
  },
  {
    name = "the tea is made while the update downloads",
    points = 2,
    run = function(t)
      local r = t.call(t.load().evening)
      t.no_error(r)
      t.time(r, 3.0, {
        [5.0] = "5.0 s is 3 + 2: the tea was only started after the download had finished. "
          .. "A task keeps running on its own, so both can wait at the same time.",
      })
    end,
  },
  {
    name = "the download runs as a task",
    points = 1,
    run = function(t)
      local r = t.call(t.load().evening)
      t.no_error(r)
      t.ok(r.tasks >= 1, "no task was created: asyncio.create_task(download_update()) starts the download on its own")
    end,
  },
}
