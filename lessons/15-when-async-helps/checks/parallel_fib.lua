-- Checks for the parallel_fib exercise. The child processes do real work in
-- real time, so these checks look at the order of events, not at the clock.
local ns = { 24, 25, 26, 27 }

return {
  {
    name = "the results are right, in order",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fibs, ns)
      t.no_error(r)
      local got = r.values[1]
      t.ok(type(got) == "table", "fibs should return a table")
      t.eq(got[1], 46368, "fib(24)")
      t.eq(got[2], 75025, "fib(25)")
      t.eq(got[3], 121393, "fib(26)")
      t.eq(got[4], 196418, "fib(27)")
    end,
  },
  {
    name = "all processes run at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fibs, ns)
      t.no_error(r)
      local out = r.output or ""
      local first_finish = out:find("finished", 1, true)
      local started = 0
      for _ in out:sub(1, first_finish or #out):gmatch("started") do started = started + 1 end
      t.ok(first_finish ~= nil, "no process reported \"finished\"; printed:\n" .. out)
      t.ok(started == #ns, string.format("only %d of %d processes had been started when the first one "
        .. "finished: they ran one after another, on one core. Start them all, then wait for them all.",
        started, #ns))
    end,
  },
}
