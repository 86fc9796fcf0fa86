-- Exercise: fetch_pages
--
-- fetch_pages(base, paths) requests base .. path for every path and
-- returns a table with, for each path in order, a table
--   { path = path, status = <HTTP status>, size = <bytes in the body> }
-- Use ONE session for all requests, and let them wait at the same time.
-- (`luasync learn run fetch_pages` runs `main`, which starts the test server.)

local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local fetch_pages = async(function(base, paths)
  local session <close> = http.ClientSession()
  local pages = {}
  -- TODO: make these requests wait at the same time (one coroutine per
  --       path, then asyncio.gather), keeping the results in path order.
  for i, path in ipairs(paths) do
    local resp <close> = await(session:get(base .. path))
    local body = await(resp:text())
    pages[i] = { path = path, status = resp.status, size = #body }
  end
  return pages
end)

local main = async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local pages = await(fetch_pages(server.url, { "/delay/2", "/delay/3", "/delay/1", "/bytes/2048" }))
  for _, page in ipairs(pages) do
    print(page.path, page.status, page.size)
  end
  print(string.format("%.1f s", asyncio.get_running_loop():time()))
end)

return { fetch_pages = fetch_pages, main = main }
