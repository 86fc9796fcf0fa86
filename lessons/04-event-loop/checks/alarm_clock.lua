-- Checks for the alarm_clock exercise.
local day = {
  { at = 4, text = "go home" },
  { at = 1, text = "stretch" },
  { at = 2.5, text = "drink water" },
}

return {
  {
    name = "every reminder rings at its time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().remind, day)
      t.no_error(r)
      t.eq(r.output, "1.0 stretch\n2.5 drink water\n4.0 go home\n",
        "each text should be printed once, at its own time, by ring")
    end,
  },
  {
    name = "remind returns right after the last reminder",
    points = 1,
    run = function(t)
      local r = t.call(t.load().remind, day)
      t.no_error(r)
      t.time(r, 4.0, {
        [0.0] = "0.0 s: remind returned at once, so the loop shut down before any timer was due. "
          .. "What keeps the loop running until 4.0?",
      })
    end,
  },
  {
    name = "another day, another list",
    points = 1,
    run = function(t)
      local r = t.call(t.load().remind, { { at = 0.5, text = "coffee" }, { at = 3, text = "lunch" } })
      t.no_error(r)
      t.eq(r.output, "0.5 coffee\n3.0 lunch\n", "remind should work for any list of reminders")
      t.time(r, 3.0)
    end,
  },
}
