-- Checks for the pipeline exercise.
local function photos(n)
  local list = {}
  for i = 1, n do list[i] = string.format("img%02d.jpg", i) end
  return list
end

return {
  {
    name = "every photo is resized",
    points = 1,
    run = function(t)
      local r = t.call(t.load().process_all, photos(6), 2)
      t.no_error(r)
      local done = r.values[1]
      t.ok(type(done) == "table", "process_all should return a table")
      t.eq(#done, 6, "six photos in, six resized photos out"
        .. (#done < 6 and ". Some results were lost. If a worker does `done[#done + 1] = await(...)`, "
          .. "Lua computes #done + 1 BEFORE the await, so workers that wait at the same time write "
          .. "into the same slot: a lost update, like in this lesson's example. Await into a local first." or ""))
      t.eq(done[1], "img01.jpg (small)", "the first resized photo, after sorting")
      t.eq(done[6], "img06.jpg (small)", "the last resized photo, after sorting")
    end,
  },
  {
    name = "two workers share six photos",
    points = 2,
    run = function(t)
      local r = t.call(t.load().process_all, photos(6), 2)
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s: one photo at a time. Two workers taking photos from the queue "
          .. "handle two at a time: 3 s.",
        [1.0] = "1.0 s: all six were resized at once. The number of workers should be the limit.",
      })
      t.ok(r.tasks >= 2, "expected at least 2 worker tasks, saw " .. tostring(r.tasks))
    end,
  },
  {
    name = "the number of workers is the limit",
    points = 1,
    run = function(t)
      local r = t.call(t.load().process_all, photos(6), 3)
      t.no_error(r)
      t.eq(#(r.values[1] or {}), 6, "all six photos (results lost? see the first check)")
      t.time(r, 2.0, {
        [3.0] = "3.0 s with 3 workers: is the number of workers hard-coded?",
      })
    end,
  },
}
