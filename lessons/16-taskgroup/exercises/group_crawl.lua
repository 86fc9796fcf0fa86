-- Exercise: group_crawl
--
-- crawl(start) visits every page reachable from `start`, once each, and
-- returns the visited pages sorted. Fetching a page's links takes 1 s.
-- As written, each link is visited before the next one is even looked
-- at: one page at a time, 5 seconds for the site below.
-- Visit each new link in its own task of a TaskGroup instead, so that all
-- pages of one level are fetched together: 3 seconds (the site is 3
-- levels deep). The group's block waits for every task, even the tasks
-- that other tasks add.

local site = {
  ["/"] = { "/a", "/b" },
  ["/a"] = { "/a/1", "/a/2" },
  ["/b"] = { "/a" },
  ["/a/1"] = {},
  ["/a/2"] = { "/" },
}

local fetch_links = async(function(page)
  await(asyncio.sleep(1))
  return site[page] or {}
end)

local crawl = async(function(start)
  local seen = { [start] = true }
  local visited = {}
  local group                                 -- the TaskGroup, once there is one

  local visit
  visit = async(function(page)
    visited[#visited + 1] = page
    for _, link in ipairs(await(fetch_links(page))) do
      if not seen[link] then
        seen[link] = true
        -- TODO: visit the link in a new task of `group`, instead of here.
        await(visit(link))
      end
    end
  end)

  -- TODO: make a TaskGroup in a to-be-closed variable (inside a do ... end
  --       block), store it in `group`, and start visit(start) as its task.
  await(visit(start))

  table.sort(visited)
  return visited
end)

return { crawl = crawl }
