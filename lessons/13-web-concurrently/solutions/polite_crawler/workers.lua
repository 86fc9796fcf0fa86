-- Right: `limit` workers that take the next path until none is left
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local crawl = async(function(base, paths, limit)
  local session <close> = http.ClientSession()
  local statuses, next_index = {}, 1

  local worker = async(function()
    while next_index <= #paths do
      local i = next_index
      next_index = next_index + 1
      local resp <close> = await(session:get(base .. paths[i]))
      statuses[i] = resp.status
    end
  end)

  local workers = {}
  for w = 1, limit do
    workers[w] = worker()
  end
  await(asyncio.gather(table.unpack(workers)))
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
