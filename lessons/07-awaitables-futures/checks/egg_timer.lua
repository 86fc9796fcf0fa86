-- Checks for the egg_timer exercise.
return {
  {
    name = "an EggTimer can be awaited",
    points = 2,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        return await(ex.EggTimer(3, "soft egg"))
      end)
      t.ok(r.error == nil, "await(EggTimer(3, \"soft egg\")) raised: " .. tostring(r.error)
        .. ". Does its metatable have an __await field?")
      t.eq(r.values[1], "soft egg ready", "awaiting the timer should produce its label followed by \" ready\"")
      t.time(r, 3.0, { [0.0] = "0.0 s: the timer did not wait at all." })
    end,
  },
  {
    name = "timers in a gather run together",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local done = await(asyncio.gather(ex.EggTimer(6, "hard egg"), ex.EggTimer(4, "toast")))
        return done[1], done[2]
      end)
      t.no_error(r)
      t.eq(r.values[1], "hard egg ready", "first timer in the gather")
      t.eq(r.values[2], "toast ready", "second timer in the gather")
      t.time(r, 6.0, { [10.0] = "10.0 s: the timers ran one after the other." })
    end,
  },
}
