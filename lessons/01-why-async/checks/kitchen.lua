-- Checks for the kitchen exercise.
return {
  {
    name = "cook returns water, oven and toast, in that order",
    points = 1,
    run = function(t)
      local r = t.call(t.load().cook)
      t.no_error(r)
      t.eq(r.values[1], "boiled water", "the first result should be the water")
      t.eq(r.values[2], "hot oven", "the second result should be the oven")
      t.eq(r.values[3], "toast", "the third result should be the toast")
    end,
  },
  {
    name = "the appliances work at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().cook)
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s is 3 + 2 + 1: each appliance still waits for the one before it. "
          .. "Dinner can be ready as soon as the slowest one (the water, 3 s) is done.",
        [5.0] = "5.0 s: two of the appliances overlap, but one still waits for another.",
        [4.0] = "4.0 s: two of the appliances overlap, but one still waits for another.",
      })
    end,
  },
}
