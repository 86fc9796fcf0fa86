-- Checks for the background_failure exercise.
return {
  {
    name = "a bounced email is reported",
    points = 2,
    run = function(t)
      local r = t.call(t.load().signup, "bob")
      t.no_error(r)
      t.eq(r.values[1], "saved bob; email failed: mailbox full",
        "the email task failed, but signup did not notice")
      t.time(r, 1.0, {
        [0.5] = "0.5 s: signup reported at 0.5 s, when the email bounced, but saving bob takes 1 s. "
          .. "\"saved bob\" was said before bob was saved (and the save was left running).",
        [1.5] = "1.5 s: the email was sent after saving instead of at the same time. Keep it a task.",
      })
    end,
  },
  {
    name = "no task error goes unretrieved",
    points = 1,
    run = function(t)
      local r = t.call(t.load().signup, "bob")
      t.no_error(r)
      t.ok(#r.unretrieved == 0,
        "\"Task exception was never retrieved\": the email task failed and nobody awaited it. "
        .. "Every task needs someone who looks at how it ended.")
    end,
  },
  {
    name = "a good email is reported as sent, and the two overlap",
    points = 1,
    run = function(t)
      local r = t.call(t.load().signup, "ada")
      t.no_error(r)
      t.eq(r.values[1], "saved ada; email sent", "ada's email works")
      t.time(r, 1.0, {
        [1.5] = "1.5 s: the email was sent after saving instead of at the same time. Keep it a task.",
      })
    end,
  },
}
