-- Checks for the parallel_fib exercise. The child processes do real work in
-- real time, so these checks look at the order of events, not at the clock.
-- Small inputs: the checks are about the order of events, and every process
-- costs the grader a start of luasync.
local ns = { 16, 17 }

return {
  {
    name = "the results are right, in order",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fibs, ns)
      t.no_error(r)
      local got = r.values[1]
      t.ok(type(got) == "table", "fibs should return a table")
      t.eq(#got, 2, "one result per number")
      t.eq(got[1], 987, "fib(16)")
      t.eq(got[2], 1597, "fib(17)")
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
