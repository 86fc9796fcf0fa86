-- Checks for the gather_fetches exercise.
local three = {
  { name = "database", seconds = 2 },
  { name = "api", seconds = 3 },
  { name = "file", seconds = 1 },
}

local function check_results(t, got, sources)
  t.ok(type(got) == "table", "fetch_all should return a table, got " .. type(got))
  for i, source in ipairs(sources) do
    t.eq(got[i], source.name .. " data", "result " .. i .. " should belong to source " .. i)
  end
end

return {
  {
    name = "results come back in the order of the list",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_all, three)
      t.no_error(r)
      check_results(t, r.values[1], three)
    end,
  },
  {
    name = "the three fetches of 2, 3 and 1 s take 3 s",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_all, three)
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s is 2 + 3 + 1: the fetches still run one after another. "
          .. "Gathered, they take only as long as the slowest one (3 s).",
      })
    end,
  },
  {
    name = "works for a longer list too",
    points = 1,
    run = function(t)
      local sources = {}
      for i = 1, 8 do sources[i] = { name = "mirror" .. i, seconds = (i % 4) + 1 } end
      local r = t.call(t.load().fetch_all, sources)
      t.no_error(r)
      check_results(t, r.values[1], sources)
      t.time(r, 4.0, {
        [20.0] = "20.0 s is the sum of all eight waits: the fetches still run one at a time.",
      })
    end,
  },
}
