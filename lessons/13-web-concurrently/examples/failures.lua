-- Each request can fail in its own way; turn every outcome into a line.
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")

local check = async(function(session, url)
  local ok, result = pcall(function()
    local resp <close> = await(session:get(url, { timeout = 2 }))
    if resp.status >= 400 then
      return "HTTP " .. resp.status
    end
    return "ok, " .. #await(resp:text()) .. " bytes"
  end)
  if ok then
    return result
  elseif asyncio.TimeoutError:is(result) then
    return "timed out"
  elseif http.ClientError:is(result) then
    return "could not connect (" .. result.code .. ")"
  end
  error(result, 0)                              -- a bug of ours: don't hide it
end)

asyncio.run(async(function()
  local server <close> = await(httpbin.start({ port = 0 }))
  local session <close> = http.ClientSession()
  local targets = {
    { "bytes", server.url .. "/bytes/300" },
    { "broken", server.url .. "/status/503" },
    { "slow", server.url .. "/delay/30" },
    { "nobody", "http://127.0.0.1:1/" },
  }
  local coros = {}
  for i, target in ipairs(targets) do
    coros[i] = check(session, target[2])
  end
  local results = await(asyncio.gather(table.unpack(coros)))
  for i, target in ipairs(targets) do
    print(string.format("%-7s %s", target[1], results[i]))
  end
  print(string.format("checked in %.1f s", asyncio.get_running_loop():time()))
end)())
