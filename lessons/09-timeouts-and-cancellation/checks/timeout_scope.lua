-- Checks for the timeout_scope exercise.
return {
  {
    name = "the deadline cuts the baking short",
    points = 2,
    run = function(t)
      local r = t.call(t.load().bake, 5, 3.5)
      t.no_error(r)
      t.eq(r.values[1], 3, "three trays fit in 3.5 s")
      t.eq(r.values[2], "out of time", "the fourth tray was cut off by the deadline")
      t.time(r, 3.5, {
        [5.0] = "5.0 s: all five trays were baked; nothing stopped the loop at the deadline (3.5 s).",
        [4.0] = "4.0 s: the deadline was only checked between trays. asyncio.timeout cancels the tray being baked.",
      })
    end,
  },
  {
    name = "enough time for everything",
    points = 1,
    run = function(t)
      local r = t.call(t.load().bake, 2, 10)
      t.no_error(r)
      t.eq(r.values[1], 2, "both trays are finished")
      t.eq(r.values[2], "all baked", "there was plenty of time")
      t.time(r, 2.0, { [10.0] = "10.0 s: bake waited for the deadline although the trays were done at 2.0." })
    end,
  },
}
