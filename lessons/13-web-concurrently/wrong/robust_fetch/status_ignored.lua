-- Wrong: every response counts as ok, whatever its status
-- Fails: error statuses are reported
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local status_report = async(function(base, paths)
  local session <close> = http.ClientSession()

  local check = async(function(path)
    local ok, result = pcall(function()
      local resp <close> = await(session:get(base .. path, { timeout = 2 }))
      return "ok"
    end)
    if ok then
      return result
    elseif asyncio.TimeoutError:is(result) then
      return "timeout"
    end
    error(result, 0)
  end)

  local coros = {}
  for i, path in ipairs(paths) do
    coros[i] = check(path)
  end
  return await(asyncio.gather(table.unpack(coros)))
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
