-- Checks for the threads_fib exercise. Threads compute in real time and no
-- virtual time, so these checks look at how the work was handed out: the
-- run record counts the calls given to threads (r.threads) and the most
-- that were in flight at once (r.threads_at_once).
local ns = { 15, 16, 17, 18 }
local expected = { 610, 987, 1597, 2584 }

local function run(t)
  local r = t.call(t.load().fib_all, ns)
  t.no_error(r)
  return r
end

return {
  {
    name = "the results are right, in the order of ns",
    points = 1,
    run = function(t)
      local r = run(t)
      local got = r.values[1]
      t.ok(type(got) == "table", "fib_all should return a table, got " .. t.show(got))
      for i = 1, #ns do
        t.eq(got[i], expected[i], "fib(" .. ns[i] .. ") is result #" .. i)
      end
      t.eq(#got, #ns, "one result per number")
    end,
  },
  {
    name = "every fib runs in a thread",
    points = 1,
    run = function(t)
      local r = run(t)
      t.ok(#r.never_awaited == 0, "a to_thread call was never awaited (line "
        .. tostring(r.never_awaited[1] and r.never_awaited[1].line) .. "): it never ran")
      t.ok(r.threads >= #ns, string.format("%d of %d computations went to a thread (asyncio.to_thread): "
        .. "the rest held the event loop's thread", r.threads, #ns))
    end,
  },
  {
    name = "the threads compute at the same time",
    points = 2,
    run = function(t)
      local r = run(t)
      t.ok(r.threads >= #ns, "hand every fib(n) to a thread first")
      t.ok(r.threads_at_once >= #ns, string.format("at most %d thread call(s) were in flight at once: "
        .. "each to_thread was awaited before the next one started. Start them all, then wait for them all.",
        r.threads_at_once))
    end,
  },
}
