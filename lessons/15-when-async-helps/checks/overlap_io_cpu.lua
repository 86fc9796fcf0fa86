-- Checks for the overlap_io_cpu exercise.
return {
  {
    name = "the dashboard has every feed and the statistics",
    points = 1,
    allow = { blocking = true },  -- time.sleep stands for the computation
    run = function(t)
      local r = t.call(t.load().dashboard)
      t.no_error(r)
      t.eq(r.values[1], "news,weather,stocks", "the feeds, in this order, joined with \",\"")
      t.eq(r.values[2], "stats ok", "the statistics")
    end,
  },
  {
    name = "the feeds wait while the statistics are computed",
    points = 2,
    allow = { blocking = true },
    run = function(t)
      local r = t.call(t.load().dashboard)
      t.no_error(r)
      t.time(r, 2.0, {
        [4.0] = "4.0 s = 2 s of computing + 2 s of waiting: the feeds only started waiting after the "
          .. "computation was over (or the computation ran before the feed tasks got their first turn). "
          .. "A task starts when the current code lets go of the thread.",
        [8.0] = "8.0 s: the feeds were fetched one after another, after the computation.",
      })
    end,
  },
}
