-- Checks for the forecast exercise.
return {
  {
    name = "forecast uses all three readings",
    points = 2,
    run = function(t)
      local ex = t.load()
      local r = t.call(ex.forecast, "Oslo")
      t.no_error(r)
      t.eq(r.values[1], "Oslo: 4 C, wind 30 km/h, snow",
        "all three values from measure(city) should appear in the line")
      r = t.call(ex.forecast, "Lima")
      t.eq(r.values[1], "Lima: 22 C, wind 10 km/h, cloudy", "forecast(\"Lima\")")
    end,
  },
  {
    name = "the station is asked only once",
    points = 1,
    run = function(t)
      local r = t.call(t.load().forecast, "Oslo")
      t.no_error(r)
      t.time(r, 1.0, {
        [2.0] = "2.0 s: measure was awaited twice. One await already gives you every value.",
        [3.0] = "3.0 s: measure was awaited three times. One await already gives you every value.",
      })
    end,
  },
}
