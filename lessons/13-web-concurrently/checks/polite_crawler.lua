-- Checks for the polite_crawler exercise.
local function with_server(ex, paths, limit)
  return async(function()
    local httpbin = require("asyncio.httpbin")
    local server <close> = await(httpbin.start({ port = 0 }))
    return await(ex.crawl(server.url, paths, limit))
  end)
end

local function six_slow()
  local paths = {}
  for i = 1, 6 do paths[i] = "/delay/1" end
  return paths
end

return {
  {
    name = "every status comes back, in order",
    points = 1,
    run = function(t)
      local r = t.call(with_server(t.load(), { "/status/201", "/delay/1", "/status/404" }, 2))
      t.no_error(r)
      local s = r.values[1]
      t.ok(type(s) == "table", "crawl should return a table of statuses")
      t.eq(table.concat(s, " "), "201 200 404", "statuses in the order of the paths")
    end,
  },
  {
    name = "six 1-second requests, two at a time, take 3 s",
    points = 2,
    run = function(t)
      local r = t.call(with_server(t.load(), six_slow(), 2))
      t.no_error(r)
      t.time(r, 3.0, {
        [1.0] = "1.0 s: all six requests were in flight at once. With a limit of 2, "
          .. "the server should never see more than two at a time, so 6 requests of 1 s take 3 s.",
        [6.0] = "6.0 s: the requests went out one at a time. Up to 2 may overlap.",
      })
    end,
  },
  {
    name = "the limit is the one given",
    points = 1,
    run = function(t)
      local r = t.call(with_server(t.load(), six_slow(), 3))
      t.no_error(r)
      t.time(r, 2.0, {
        [3.0] = "3.0 s: with limit = 3 it should take 2 s. Is the limit hard-coded to 2?",
        [1.0] = "1.0 s: all six were in flight at once; the limit of 3 was not applied.",
      })
    end,
  },
  {
    name = "a slow request does not hold up the others",
    points = 1,
    run = function(t)
      -- One 3 s request and three of 1 s, two at a time: the 1 s requests
      -- take turns in the other slot while the slow one runs, 3 s in all.
      local r = t.call(with_server(t.load(), { "/delay/3", "/delay/1", "/delay/1", "/delay/1" }, 2))
      t.no_error(r)
      t.time(r, 3.0, {
        [4.0] = "4.0 s: the requests went in batches of two, and each batch waited for its slowest "
          .. "(3 s, then 1 s). A free slot should take the next request at once.",
        [1.0] = "1.0 s: all four requests were in flight at once; the limit of 2 was not applied.",
      })
    end,
  },
}
