-- Checks for the group_crawl exercise.
return {
  {
    name = "every page is visited once",
    points = 1,
    run = function(t)
      local r = t.call(t.load().crawl, "/")
      t.no_error(r)
      local visited = r.values[1]
      t.ok(type(visited) == "table", "crawl should return a table of pages")
      t.eq(table.concat(visited, " "), "/ /a /a/1 /a/2 /b", "the sorted list of visited pages")
    end,
  },
  {
    name = "the pages of one level are fetched together",
    points = 2,
    run = function(t)
      local r = t.call(t.load().crawl, "/")
      t.no_error(r)
      t.time(r, 3.0, {
        [5.0] = "5.0 s for 5 pages: one page at a time. The site is 3 levels deep, "
          .. "so with a task per link it takes 3 s.",
        [1.0] = "1.0 s: crawl returned before the visits had finished. Does the group's block "
          .. "end before you sort and return?",
      })
    end,
  },
  {
    name = "the crawl uses one task per page",
    points = 1,
    run = function(t)
      local r = t.call(t.load().crawl, "/a")
      t.no_error(r)
      t.eq(table.concat(r.values[1] or {}, " "), "/ /a /a/1 /a/2 /b", "starting from /a reaches the same pages")
      t.ok(r.tasks >= 5, "expected a task for each of the 5 pages, saw " .. tostring(r.tasks))
    end,
  },
}
