-- Exercise: polite_crawler
--
-- crawl(base, paths, limit) fetches every path and returns the statuses
-- in the order of `paths`. It must never have more than `limit` requests
-- in flight at once, and within that limit, requests should overlap.
-- As written it has no limit at all: every request goes out at once.

local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local crawl = async(function(base, paths, limit)
  local session <close> = http.ClientSession()
  -- TODO: create an asyncio.Semaphore with `limit` slots ...

  local fetch = async(function(path)
    -- TODO: ... and hold one of its slots while the request is in flight.
    local resp <close> = await(session:get(base .. path))
    return resp.status
  end)

  local coros = {}
  for i, path in ipairs(paths) do
    coros[i] = fetch(path)
  end
  return await(asyncio.gather(table.unpack(coros)))
end)

local main = async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local paths = {}
  for i = 1, 6 do paths[i] = "/delay/1" end
  local statuses = await(crawl(server.url, paths, 2))
  print(table.concat(statuses, " "), string.format("%.1f s", asyncio.get_running_loop():time()))
end)

return { crawl = crawl, main = main }
