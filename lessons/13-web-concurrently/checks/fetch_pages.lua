-- Checks for the fetch_pages exercise. Each check starts the built-in test
-- server on the same loop and hands its address to the learner's function.
local function with_server(ex, paths)
  return async(function()
    local httpbin = require("asyncio.httpbin")
    local server <close> = await(httpbin.start({ port = 0 }))
    return await(ex.fetch_pages(server.url, paths))
  end)
end

local paths = { "/delay/2", "/delay/3", "/delay/1", "/bytes/2048" }

return {
  {
    name = "every page is fetched, in order",
    points = 1,
    run = function(t)
      local r = t.call(with_server(t.load(), paths))
      t.no_error(r)
      local pages = r.values[1]
      t.ok(type(pages) == "table", "fetch_pages should return a table of pages")
      for i, path in ipairs(paths) do
        t.ok(type(pages[i]) == "table", "no page " .. i .. " (" .. path .. ") in the result")
        t.eq(pages[i].path, path, "page " .. i .. " should be the one for " .. path)
        t.eq(pages[i].status, 200, path .. " answers with status 200")
      end
      t.eq(pages[4].size, 2048, "/bytes/2048 has a body of 2048 bytes")
    end,
  },
  {
    name = "the requests wait at the same time",
    points = 2,
    run = function(t)
      local r = t.call(with_server(t.load(), paths))
      t.no_error(r)
      t.time(r, 3.0, {
        [6.0] = "6.0 s is 2 + 3 + 1: the requests went out one after another. "
          .. "Together, they take as long as the slowest (/delay/3).",
      })
    end,
  },
  {
    name = "an error status is reported, not raised",
    points = 1,
    run = function(t)
      local r = t.call(with_server(t.load(), { "/status/404", "/json" }))
      t.no_error(r)
      local pages = r.values[1]
      t.eq(pages[1] and pages[1].status, 404, "/status/404 is a response with status 404")
      t.eq(pages[2] and pages[2].status, 200, "/json answers with 200")
    end,
  },
}
