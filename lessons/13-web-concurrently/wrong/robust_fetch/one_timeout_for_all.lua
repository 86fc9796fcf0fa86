-- Wrong: one wait_for around the whole gather: the slow path takes every line with it
-- Fails: a slow server is reported as a timeout
-- Fails: the whole report takes 2 s
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local status_report = async(function(base, paths)
  local session <close> = http.ClientSession()

  local check = async(function(path)
    local ok, result = pcall(function()
      local resp <close> = await(session:get(base .. path))
      if resp.status >= 400 then
        return "HTTP " .. resp.status
      end
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
  local ok, lines = pcall(await, asyncio.wait_for(asyncio.gather(table.unpack(coros)), 2))
  if ok then return lines end
  if not asyncio.TimeoutError:is(lines) then error(lines, 0) end
  local all = {}
  for i = 1, #paths do all[i] = "timeout" end
  return all
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
