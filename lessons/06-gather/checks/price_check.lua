-- Checks for the price_check exercise.
return {
  {
    name = "finds the cheapest open shop",
    points = 1,
    run = function(t)
      local r = t.call(t.load().cheapest, { "north", "east", "south" })
      t.no_error(r)
      t.eq(r.values[1], "east", "east sells it for 27, the lowest of 31, 27 and 29")
      t.eq(r.values[2], 27, "and the price should be east's")
    end,
  },
  {
    name = "all shops are asked at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().cheapest, { "north", "east", "south" })
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s is 2 + 3 + 1: the shops were asked one after another. "
          .. "Asked together, you only wait for the slowest (3 s).",
      })
    end,
  },
  {
    name = "a closed shop does not hide the shops after it",
    points = 2,
    run = function(t)
      local r = t.call(t.load().cheapest, { "north", "corner", "market", "south" })
      t.no_error(r)
      t.eq(r.values[1], "market",
        "market (24) is the cheapest, but it comes after corner, which is closed (nil). "
        .. "Does your loop stop at the first nil? Look at the n field of gather's result.")
      t.eq(r.values[2], 24, "market's price")
      t.time(r, 2.0, {
        [6.0] = "6.0 s: the shops were asked one after another; together they take 2 s.",
      })
    end,
  },
}
