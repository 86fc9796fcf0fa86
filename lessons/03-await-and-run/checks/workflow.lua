-- Checks for the workflow exercise.
return {
  {
    name = "report(7) summarizes Ada's orders",
    points = 1,
    run = function(t)
      local r = t.call(t.load().report, 7)
      t.no_error(r)
      t.eq(r.values[1], "Ada ordered 2 items: book, lamp",
        "report(7) should return what summarize(user, orders) returns")
    end,
  },
  {
    name = "report(8) works for another user",
    points = 1,
    run = function(t)
      local r = t.call(t.load().report, 8)
      t.no_error(r)
      t.eq(r.values[1], "Grace ordered 3 items: compiler, kettle, scarf",
        "report(8) should pass the id on to fetch_user, and the user on to fetch_orders")
    end,
  },
  {
    name = "the three steps run in order",
    points = 1,
    run = function(t)
      local r = t.call(t.load().report, 7)
      t.no_error(r)
      t.time(r, 3.5, {
        [0.0] = "0.0 s: no step was awaited at all, so nothing waited.",
        [1.0] = "1.0 s: only fetch_user was awaited.",
        [3.0] = "3.0 s: summarize (0.5 s) was not awaited.",
      })
    end,
  },
}
