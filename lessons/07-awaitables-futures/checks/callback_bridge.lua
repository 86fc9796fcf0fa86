-- Checks for the callback_bridge exercise.
return {
  {
    name = "await(lookup(\"capital\")) gives the answer",
    points = 2,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local aw = ex.lookup("capital")
        if aw == nil then return "lookup returned nil" end
        return await(aw)
      end)
      t.no_error(r)
      t.eq(r.values[1], "Lisbon",
        "lookup should return something await accepts (a future), filled with old_lookup's answer")
      t.time(r, 1.0)
    end,
  },
  {
    name = "an unknown key makes the await raise",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local aw = ex.lookup("mountain")
        if aw == nil then return "lookup returned nil" end
        local ok, err = pcall(await, aw)
        return ok, tostring(err)
      end)
      t.no_error(r)
      t.eq(r.values[1], false, "awaiting lookup(\"mountain\") should raise an error")
      t.ok(tostring(r.values[2]):find("no fact about mountain", 1, true),
        "the error should carry old_lookup's message, got: " .. tostring(r.values[2]))
    end,
  },
  {
    name = "several lookups wait at the same time",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local a, b = ex.lookup("river"), ex.lookup("bridge")
        if a == nil or b == nil then return "lookup returned nil" end
        local both = await(asyncio.gather(a, b))
        return both[1], both[2]
      end)
      t.no_error(r)
      t.eq(r.values[1], "Tagus", "first of the gathered lookups")
      t.eq(r.values[2], "25 de Abril", "second of the gathered lookups")
      t.time(r, 1.0, { [2.0] = "2.0 s: the two lookups did not overlap." })
    end,
  },
}
