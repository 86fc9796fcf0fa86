-- test_httpbin.lua: the built-in test server's endpoints (asyncio.httpbin),
-- in-process, and `luasync httpbin` from the command line.
local T = require("testlib")
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")
local json = require("asyncio.json")

local async, await = asyncio.async, asyncio.await

-- Runs body(session, server) against a fresh server.
local function with_server(body)
  return function()
    local server <close> = await(httpbin.start())
    local session <close> = http.ClientSession({base_url = server.url})
    body(session, server)
  end
end

local function get_json(session, path, opts)
  local resp = await(session:get(path, opts))
  return await(resp:json()), resp
end

T.test("/ lists the endpoints", with_server(function(session)
  local text = await((await(session:get("/"))):text())
  T.ok(text:find("/delay/<seconds>", 1, true))
end))

T.test("/get echoes method, args, headers, origin, url", with_server(function(session, server)
  local data = get_json(session, "/get?x=1&y=%C3%A9", {headers = {["X-Hello"] = "there"}})
  T.eq(data.method, "GET")
  T.eq(data.args, {x = "1", y = "é"})
  T.eq(data.headers["x-hello"], "there")
  T.eq(data.origin, "127.0.0.1")
  T.eq(data.url, server.url .. "/get?x=1&y=%C3%A9")
  data = get_json(session, "/get")
  T.eq(json.encode(data.args), "{}")   -- an empty object, not an array
end))

T.test("/post, /put, /patch, /delete, /anything echo the body", with_server(function(session)
  local resp = await(session:post("/post", {json = {a = {1, 2}}}))
  local data = await(resp:json())
  T.eq(data.method, "POST")
  T.eq(data.json, {a = {1, 2}})
  T.eq(data.data, '{"a":[1,2]}')
  resp = await(session:put("/put", {body = "plain"}))
  data = await(resp:json())
  T.eq(data.data, "plain")
  T.eq(data.json, json.null)
  T.eq((await((await(session:delete("/delete"))):json())).method, "DELETE")
  T.eq((await((await(session:patch("/anything/x/y"))):json())).method, "PATCH")
end))

T.test("/headers and /ip", with_server(function(session)
  T.eq((get_json(session, "/headers", {headers = {["X-A"] = "b"}})).headers["x-a"], "b")
  T.eq((get_json(session, "/ip")).origin, "127.0.0.1")
end))

T.test("/json is a fixed document", with_server(function(session)
  local data, resp = get_json(session, "/json")
  T.eq(resp.headers["content-type"], "application/json")
  T.eq(data, httpbin.JSON_DOCUMENT)
  T.eq(data.slideshow.slides[2].items[1], "Why <em>WonderWidgets</em> are great")
end))

T.test("/status/<code>", with_server(function(session)
  for _, code in ipairs({200, 201, 204, 400, 404, 418, 500, 503}) do
    T.eq((await(session:get("/status/" .. code))).status, code)
  end
  local resp = await(session:get("/status/302", {redirects = false}))
  T.eq(resp.status, 302)
  T.eq(resp.headers.location, "/get")
  T.eq((await(session:get("/status/302"))).status, 200)
  T.eq((await(session:get("/status/abc"))).status, 400)
  T.eq((await(session:get("/status/99"))).status, 400)
end))

T.test("/delay/<s> waits on the loop clock", with_server(function(session)
  local loop = asyncio.get_running_loop()
  local data = get_json(session, "/delay/2.5?k=v")
  T.near(loop:time(), 2.5, 1e-9)
  T.eq(data.args, {k = "v"})
  get_json(session, "/delay/3600", {timeout = false})   -- an hour, at no real cost
  T.near(loop:time(), 3602.5, 1e-9)
  T.eq((await(session:get("/delay/-1"))).status, 400)
  T.eq((await(session:get("/delay/x"))).status, 400)
end))

T.test("/bytes/<n> is deterministic", with_server(function(session)
  local a = await((await(session:get("/bytes/1000"))):text())
  local b = await((await(session:get("/bytes/1000"))):text())
  T.eq(#a, 1000)
  T.eq(a, b)
  T.eq(a, httpbin.bytes(1000))
  T.ok(a ~= string.rep(a:sub(1, 1), 1000), "not random at all")
  local resp = await(session:get("/bytes/200000"))
  T.eq(resp.headers["content-type"], "application/octet-stream")
  T.eq(await(resp:text()), httpbin.bytes(200000))
  T.eq(await((await(session:get("/bytes/0"))):text()), "")
  T.eq((await(session:get("/bytes/-5"))).status, 400)
end))

T.test("/stream/<n> streams JSON lines", with_server(function(session)
  local resp = await(session:get("/stream/5"))
  T.eq(resp.headers["transfer-encoding"], "chunked")
  local text = await(resp:text())
  local n = 0
  for line in text:gmatch("[^\n]+") do
    T.eq(json.decode(line).id, n)
    n = n + 1
  end
  T.eq(n, 5)
end))

T.test("/redirect/<n> and /redirect-to", with_server(function(session, server)
  local resp = await(session:get("/redirect/4"))
  T.eq(resp.status, 200)
  T.eq(resp.url, server.url .. "/get")
  resp = await(session:get("/redirect-to?url=/json"))
  T.eq(await(resp:json()), httpbin.JSON_DOCUMENT)
end))

T.test("unknown paths are 404", with_server(function(session)
  T.eq((await(session:get("/nope"))).status, 404)
  T.eq((await(session:get("/get/extra"))).status, 404)
end))

-- The command line: `luasync httpbin --port 0` prints its URL and serves
-- until killed (a separate process: a blocking popen here is fine, the
-- loop is not running).
local LUASYNC = "luasync"
if arg then
  local i = -1
  while arg[i - 1] do i = i - 1 end
  LUASYNC = arg[i] or LUASYNC
end
local cli_out, cli_body
do
  local out = os.tmpname()
  local pidf = os.tmpname()
  os.execute(string.format("%s httpbin --port 0 > %s 2>&1 & echo $! > %s", LUASYNC, out, pidf))
  local url
  for _ = 1, 50 do
    local f = io.open(out)
    local s = f and f:read("a") or ""
    if f then f:close() end
    url = s:match("httpbin listening on (http://127%.0%.0%.1:%d+)")
    if url then cli_out = s break end
    os.execute("sleep 0.1")
  end
  if url then
    pcall(asyncio.run, async(function()
      local session <close> = http.ClientSession({timeout = 10})
      cli_body = (await(session:get(url .. "/status/418"))).status
    end)())
  end
  local pf = io.open(pidf)
  local pid = pf and pf:read("l")
  if pf then pf:close() end
  if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
  os.remove(out)
  os.remove(pidf)
end
T.test("luasync httpbin prints its URL and serves", function()
  T.ok(cli_out and cli_out:find("^httpbin listening on http://127%.0%.0%.1:%d+\n"), tostring(cli_out))
  T.eq(cli_body, 418)
end)

T.done()
