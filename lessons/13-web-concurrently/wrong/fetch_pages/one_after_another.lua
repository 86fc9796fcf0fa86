-- Wrong: fetches the pages one after another
-- Fails: the requests wait at the same time
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local fetch_pages = async(function(base, paths)
  local session <close> = http.ClientSession()

  local fetch = async(function(path)
    local resp <close> = await(session:get(base .. path))
    local body = await(resp:text())
    return { path = path, status = resp.status, size = #body }
  end)

  local pages = {}
  for i, path in ipairs(paths) do
    pages[i] = await(fetch(path))
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
