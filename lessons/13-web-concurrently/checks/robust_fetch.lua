-- Checks for the robust_fetch exercise.
-- Returns the report and the loop time when status_report returned. (The
-- run itself lasts longer: closing the test server waits for its /delay
-- handlers, even those whose client gave up.)
local function with_server(ex, paths)
  return async(function()
    local httpbin = require("asyncio.httpbin")
    local server <close> = await(httpbin.start({ port = 0 }))
    local lines = await(ex.status_report(server.url, paths))
    return lines, asyncio.get_running_loop():time()
  end)
end

local paths = { "/json", "/delay/5", "/status/503", "/delay/1", "/status/404" }

return {
  {
    name = "error statuses are reported",
    points = 1,
    run = function(t)
      local r = t.call(with_server(t.load(), { "/json", "/status/503", "/status/404" }))
      t.no_error(r)
      local lines = r.values[1]
      t.ok(type(lines) == "table", "status_report should return a table of lines")
      t.eq(lines[1], "ok", "/json answers 200")
      t.eq(lines[2], "HTTP 503", "/status/503 answers with an error status; it is still a response: look at resp.status")
      t.eq(lines[3], "HTTP 404", "/status/404")
    end,
  },
  {
    name = "a slow server is reported as a timeout",
    points = 2,
    run = function(t)
      local r = t.call(with_server(t.load(), { "/delay/5", "/delay/1" }))
      t.no_error(r)
      local lines = r.values[1]
      t.eq(lines[1], "timeout", "/delay/5 does not answer within 2 s")
      t.eq(lines[2], "ok", "/delay/1 answers in time")
    end,
  },
  {
    name = "the whole report takes 2 s",
    points = 2,
    run = function(t)
      local r = t.call(with_server(t.load(), paths))
      t.no_error(r)
      local lines = r.values[1]
      t.eq(table.concat(lines or {}, ", "), "ok, timeout, HTTP 503, ok, HTTP 404", "one line per path, in order")
      t.time({ time = r.values[2] }, 2.0, {
        [6.0] = "6.0 s: the checks ran one after another and nothing cut /delay/5 short.",
        [5.0] = "5.0 s: /delay/5 was waited for in full. Nothing limited its time.",
        [3.0] = "3.0 s: the checks ran one after another (2 s for the timeout + 1 s for /delay/1).",
      })
    end,
  },
}
