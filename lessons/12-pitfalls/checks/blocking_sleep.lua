-- Checks for the blocking_sleep exercise.
local sensors = { "kitchen", "attic", "garage" }

return {
  {
    name = "every sensor is read",
    points = 1,
    run = function(t)
      local r = t.call(t.load().read_all, sensors)
      t.no_error(r)
      local got = r.values[1]
      t.ok(type(got) == "table", "read_all should return a table")
      t.eq(got[1], "kitchen: 21.5 C", "first reading")
      t.eq(got[3], "garage: 21.5 C", "third reading")
    end,
  },
  {
    name = "the sensors are read at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().read_all, sensors)
      t.no_error(r)
      t.time(r, 1.0, {
        [3.0] = "3.0 s for 3 sensors: gather started them together, but each wait blocked the "
          .. "whole loop, so they could only run one after another.",
      })
    end,
  },
  {
    name = "nothing blocks the loop",
    points = 1,
    run = function(t)
      local r = t.call(t.load().read_all, sensors)
      t.no_error(r)
      if #r.blocking > 0 then
        local b = r.blocking[1]
        t.fail(string.format("%d blocking call(s), the first %s(%s) at line %s. While it sleeps, "
          .. "no other task can run. What is the awaitable way to wait?",
          #r.blocking, tostring(b.what), tostring(b.seconds), tostring(b.line)))
      end
    end,
  },
}
