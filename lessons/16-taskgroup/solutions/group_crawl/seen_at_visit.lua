-- Right: a task for every link; a visit that finds its page already seen returns at once
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
  local seen = {}
  local visited = {}
  local group                                 -- the TaskGroup, once there is one

  local visit
  visit = async(function(page)
    if seen[page] then return end
    seen[page] = true
    visited[#visited + 1] = page
    for _, link in ipairs(await(fetch_links(page))) do
      group:create_task(visit(link))
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
