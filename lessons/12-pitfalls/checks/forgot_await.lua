-- Checks for the forgot_await exercise.
return {
  {
    name = "no coroutine is left unawaited",
    points = 2,
    run = function(t)
      local r = t.call(t.load().checkout, "lamp", 30)
      t.no_error(r)
      if #r.never_awaited > 0 then
        local where = {}
        for _, w in ipairs(r.never_awaited) do
          where[#where + 1] = "'" .. tostring(w.name) .. "' (line " .. tostring(w.line) .. ")"
        end
        t.fail("never awaited: " .. table.concat(where, ", ")
          .. ". Calling a coroutine function only makes a coroutine object; it runs when awaited.")
      end
    end,
  },
  {
    name = "checkout returns the reservation",
    points = 1,
    run = function(t)
      local r = t.call(t.load().checkout, "lamp", 30)
      t.no_error(r)
      t.eq(r.values[1], "order R-lamp",
        "`reservation` should hold what reserve returns, not a coroutine object")
    end,
  },
  {
    name = "the item is reserved, then the card charged",
    points = 1,
    run = function(t)
      local r = t.call(t.load().checkout, "kettle", 25)
      t.no_error(r)
      t.eq(r.output, "1.0 reserved kettle\n2.0 charged 25\n", "both steps should run, one after the other")
      t.time(r, 2.0)
    end,
  },
}
