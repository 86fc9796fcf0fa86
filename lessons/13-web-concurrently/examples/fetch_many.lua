-- Four requests, one after another and then all at once.
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local paths = { "/delay/2", "/delay/1", "/delay/3", "/bytes/5000" }

local fetch = async(function(session, url)
  local resp <close> = await(session:get(url))
  local body = await(resp:text())
  return resp.status, #body
end)

asyncio.run(async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local session <close> = http.ClientSession()
  local loop = asyncio.get_running_loop()

  local start = loop:time()
  for _, path in ipairs(paths) do
    await(fetch(session, server.url .. path))
  end
  print(string.format("one by one: %.1f s", loop:time() - start))

  start = loop:time()
  local coros = {}
  for i, path in ipairs(paths) do
    coros[i] = fetch(session, server.url .. path)
  end
  await(asyncio.gather(table.unpack(coros)))
  print(string.format("all at once: %.1f s", loop:time() - start))

  -- the last one, to show what fetch returns
  local status, size = await(fetch(session, server.url .. "/bytes/5000"))
  print("/bytes/5000 ->", status, size .. " bytes")
end)())
