-- Checks for the progress_report exercise.
local files = {
  { name = "map.png", seconds = 3 },
  { name = "notes.txt", seconds = 1 },
  { name = "song.ogg", seconds = 2 },
}

return {
  {
    name = "a progress line appears the moment each download finishes",
    points = 2,
    run = function(t)
      local r = t.call(t.load().download_all, files)
      t.no_error(r)
      t.eq(r.output, "1.0 notes.txt done (1/3)\n2.0 song.ogg done (2/3)\n3.0 map.png done (3/3)\n",
        "each line should be printed when its download finishes (notes.txt at 1.0, song.ogg at 2.0, "
        .. "map.png at 3.0). If every line says 3.0, the report waited for the whole batch first.")
    end,
  },
  {
    name = "the names come back in finishing order",
    points = 1,
    run = function(t)
      local r = t.call(t.load().download_all, files)
      t.no_error(r)
      local got = r.values[1]
      t.ok(type(got) == "table", "download_all should return a table of names")
      t.eq(table.concat(got, ","), "notes.txt,song.ogg,map.png", "names in the order the downloads finished")
    end,
  },
  {
    name = "the downloads run at the same time",
    points = 1,
    run = function(t)
      local r = t.call(t.load().download_all, files)
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s is 3 + 1 + 2: the downloads ran one after another.",
      })
    end,
  },
}
