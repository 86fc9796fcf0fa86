-- Wrong: visits each link with await instead of a task: one page at a time
-- Fails: the pages of one level are fetched together
-- Fails: the crawl uses one task per page
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
        await(visit(link))
      end
    end
  end)

  do
    local tg <close> = asyncio.TaskGroup()
    group = tg
    tg:create_task(visit(start))
  end                                         -- waits for every visit

  table.sort(visited)
  return visited
end)

return { crawl = crawl }
