-- Wrong: sends the requests in batches of `limit`; each batch waits for its slowest request
-- Fails: a slow request does not hold up the others
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local crawl = async(function(base, paths, limit)
  local session <close> = http.ClientSession()
  local slots = asyncio.Semaphore(limit)

  local fetch = async(function(path)
    local resp <close> = await(session:get(base .. path))
    return resp.status
  end)

  local statuses = {}
  for first = 1, #paths, limit do
    local batch = {}
    for i = first, math.min(first + limit - 1, #paths) do
      batch[#batch + 1] = fetch(paths[i])
    end
    for _, status in ipairs(await(asyncio.gather(table.unpack(batch)))) do
      statuses[#statuses + 1] = status
    end
  end
  return statuses
end)

local main = async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local paths = {}
  for i = 1, 6 do paths[i] = "/delay/1" end
  local statuses = await(crawl(server.url, paths, 2))
  print(table.concat(statuses, " "), string.format("%.1f s", asyncio.get_running_loop():time()))
end)

return { crawl = crawl, main = main }
