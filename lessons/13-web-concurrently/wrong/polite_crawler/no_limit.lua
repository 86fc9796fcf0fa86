-- Wrong: no semaphore: every request goes out at once
-- Fails: six 1-second requests, two at a time, take 3 s
-- Fails: the limit is the one given
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local crawl = async(function(base, paths, limit)
  local session <close> = http.ClientSession()
  local slots = asyncio.Semaphore(limit)

  local fetch = async(function(path)
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
