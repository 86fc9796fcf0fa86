-- Checks for the countdown exercise.
return {
  {
    name = "launch(3) counts down and lifts off",
    points = 2,
    run = function(t)
      local r = t.call(t.load().launch, 3)
      t.ok(r.error == nil or not tostring(r.error):find("deadlock"),
        "launch never finished: it awaits `launched`, but the countdown never reached liftoff, "
        .. "so nothing will ever fill that future. With nothing left to do, the loop reported a deadlock. "
        .. "Printed so far: " .. string.format("%q", r.output or ""))
      t.no_error(r)
      t.eq(r.output, "0.0 3\n1.0 2\n2.0 1\n3.0 liftoff!\n", "one line per second, from 3 down to liftoff")
      t.eq(r.values[1], "launched", "launch should return what the future was set to")
    end,
  },
  {
    name = "liftoff comes exactly `from` seconds after the start",
    points = 1,
    run = function(t)
      local r = t.call(t.load().launch, 5)
      t.no_error(r)
      t.time(r, 5.0, {
        [0.0] = "0.0 s: every tick ran at once; did each one use call_later with a delay of 1?",
      })
    end,
  },
}
