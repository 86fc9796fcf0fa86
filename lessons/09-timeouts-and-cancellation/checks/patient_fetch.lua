-- Checks for the patient_fetch exercise.
return {
  {
    name = "a fast server's news is fresh",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_news, "fast")
      t.no_error(r)
      t.eq(r.values[1], "fresh news from fast", "the fast server answers within 2 s")
      t.time(r, 1.0)
    end,
  },
  {
    name = "a slow server is given up on after 2 s",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_news, "slow")
      t.no_error(r)
      t.time(r, 2.0, {
        [5.0] = "5.0 s: you waited for the slow server to finish. After 2 s, wait_for should give up.",
      })
      t.eq(r.values[1], "cached copy of slow", "after the timeout, return the cached copy")
    end,
  },
  {
    name = "even a frozen server costs only 2 s",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_news, "frozen")
      t.no_error(r)
      t.eq(r.values[1], "cached copy of frozen", "the frozen server never answers in time")
      t.time(r, 2.0, {
        [3600.0] = "3600.0 s: a whole hour! Without a time limit, one frozen server hangs the program.",
      })
    end,
  },
}
