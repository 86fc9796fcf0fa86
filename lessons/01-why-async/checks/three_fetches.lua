-- Checks for the three_fetches exercise.
return {
  {
    name = "fetch_all returns the users and the weather for the key",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_all)
      t.no_error(r)
      t.eq(r.values[1], "users for key-42", "the first result should be the database's answer")
      t.eq(r.values[2], "weather for key-42", "the second result should be the API's answer")
    end,
  },
  {
    name = "the database and the API wait at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_all)
      t.no_error(r)
      t.time(r, 4.0, {
        [6.0] = "6.0 s is 1 + 2 + 3: the database and the API still take turns. "
          .. "Once the key is there, both can wait together: 1 + 3 = 4 s.",
      })
    end,
  },
}
