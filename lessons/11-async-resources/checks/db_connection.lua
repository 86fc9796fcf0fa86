-- Checks for the db_connection exercise.
return {
  {
    name = "the connection is closed after a good query",
    points = 2,
    run = function(t)
      local r = t.call(t.load().count_users)
      t.no_error(r)
      t.eq(r.values[1], 42, "count_users returns the query's result")
      t.eq(r.output, "0.5 connected\n1.5 closing\n1.7 closed\n",
        "after the query (at 1.5) the connection should close, which takes 0.2 s")
      t.time(r, 1.7, {
        [1.5] = "1.5 s: count_users returned without the 0.2 s goodbye: the connection was never closed.",
      })
    end,
  },
  {
    name = "the connection is closed after a failed query, too",
    points = 2,
    run = function(t)
      local r = t.call(t.load().count_orders)
      t.ok(r.error ~= nil and tostring(r.error):find("locked", 1, true),
        "count_orders should still raise the query's error, got: " .. tostring(r.error))
      t.eq(r.output, "0.5 connected\n1.5 closing\n1.7 closed\n",
        "the query failed at 1.5; the connection must be closed anyway, before the error goes on")
    end,
  },
}
