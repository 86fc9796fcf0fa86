-- Checks for the word_count_files exercise. They run the exercise's `main`,
-- which builds the sample tree in the exercise's WORKDIR.
local expected = {
  ["intro.txt"] = 8,
  ["chapters/one.txt"] = 4,
  ["chapters/two.txt"] = 5,
  ["chapters/drafts/three.txt"] = 5,
}

return {
  {
    name = "every file is counted",
    points = 2,
    run = function(t)
      local r = t.call(t.load().main)
      t.no_error(r)
      local counts, total = r.values[1], r.values[2]
      t.ok(type(counts) == "table", "count_words should return a table of counts first")
      for path, words in pairs(expected) do
        t.eq(counts[path], words, "words in " .. path)
      end
      for path in pairs(counts) do
        t.ok(expected[path] ~= nil, "unexpected entry " .. tostring(path) .. ": only files belong in the table, "
          .. "keyed by their path relative to dir")
      end
      t.eq(total, 22, "the total of all words")
    end,
  },
  {
    name = "the files are handled at the same time",
    points = 2,
    run = function(t)
      local r = t.call(t.load().main)
      t.no_error(r)
      t.time(r, 1.0, {
        [4.0] = "4.0 s for 4 files: each file waited for the one before it. "
          .. "Indexed at the same time, they take 1 s whatever their number.",
      })
    end,
  },
}
