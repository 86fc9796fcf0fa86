-- Checks for the starting_gun exercise.
return {
  {
    name = "nobody starts before the gun",
    points = 2,
    run = function(t)
      local r = t.call(t.load().race, { { name = "Ada", seconds = 3 }, { name = "Bo", seconds = 2 } }, 3)
      t.no_error(r)
      t.eq(r.output, "3.0 BANG\n3.0 Ada starts\n3.0 Bo starts\n5.0 Bo finishes\n6.0 Ada finishes\n",
        "the runners should start at 3.0, right after BANG, and finish their own time later")
    end,
  },
  {
    name = "the race ends with the slowest runner",
    points = 1,
    run = function(t)
      local r = t.call(t.load().race, { { name = "Cy", seconds = 1 }, { name = "Di", seconds = 4 },
        { name = "Ed", seconds = 2 } }, 1.5)
      t.no_error(r)
      t.time(r, 5.5, {
        [4.0] = "4.0 s: the runners started before the gun (at 0.0).",
      })
      t.output(r, "^1%.5 BANG\n1%.5 Cy starts\n1%.5 Di starts\n1%.5 Ed starts\n",
        "BANG at 1.5, then all three start at once")
    end,
  },
}
