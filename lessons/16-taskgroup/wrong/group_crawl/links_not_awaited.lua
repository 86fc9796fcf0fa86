-- Wrong: iterates over fetch_links(page) without awaiting it
-- Fails: every page is visited once
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
    for _, link in ipairs(fetch_links(page)) do
      if not seen[link] then
        seen[link] = true
        group:create_task(visit(link))
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
