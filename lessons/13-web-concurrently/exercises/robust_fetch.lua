-- Exercise: robust_fetch
--
-- status_report(base, paths) checks every path at the same time and
-- returns one line per path, in order:
--   "ok"         the server answered with a status below 400
--   "HTTP <n>"   the server answered with an error status n (400 or more)
--   "timeout"    no answer within 2 seconds
-- One bad path must not spoil the others, and the whole report must not
-- take longer than 2 seconds.

local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local status_report = async(function(base, paths)
  local session <close> = http.ClientSession()

  local check = async(function(path)
    -- TODO: give the request at most 2 seconds (the `timeout` option of
    --       session:get, or asyncio.wait_for), turn a TimeoutError into
    --       "timeout", and an error status into "HTTP <status>".
    local resp <close> = await(session:get(base .. path))
    return "ok"
  end)

  -- TODO: check all paths at the same time, not one after another.
  local lines = {}
  for i, path in ipairs(paths) do
    lines[i] = await(check(path))
  end
  return lines
end)

local main = async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local paths = { "/json", "/delay/5", "/status/503", "/delay/1", "/status/404" }
  local lines = await(status_report(server.url, paths))
  for i, path in ipairs(paths) do
    print(path, lines[i])
  end
end)

return { status_report = status_report, main = main }
