-- Checks for the fastest_mirror exercise.
local mirrors = {
  { name = "mirror-a", seconds = 3 },
  { name = "mirror-b", seconds = 1 },
  { name = "mirror-c", seconds = 2 },
}

return {
  {
    name = "the fastest mirror wins",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_file, mirrors)
      t.no_error(r)
      t.eq(r.values[1], "mirror-b", "mirror-b answers first (1 s), so it should be the winner")
    end,
  },
  {
    name = "the download starts as soon as the first mirror answers",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_file, mirrors)
      t.no_error(r)
      t.time(r, 6.0, {
        [8.0] = "8.0 s is 3 + 5: you waited for every mirror (3 s) before downloading. "
          .. "The first answer comes after 1 s; that is enough to pick a winner.",
      })
    end,
  },
  {
    name = "the slower pings are cancelled",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_file, mirrors)
      t.no_error(r)
      t.eq(r.output, "1.0 mirror-b answered\n",
        "only mirror-b should answer; the other pings must be cancelled once the winner is known, "
        .. "instead of running on during the download")
    end,
  },
  {
    name = "another set of mirrors",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_file, { { name = "north", seconds = 4 }, { name = "south", seconds = 2 } })
      t.no_error(r)
      t.eq(r.values[1], "south", "south answers first here")
      t.time(r, 7.0)
    end,
  },
}
