-- test_http_client.lua: asyncio.http's ClientSession against the built-in
-- httpbin server, started in-process on 127.0.0.1 (port 0) in each test.
local T = require("testlib")
local http = require("asyncio.http")
local httpbin = require("asyncio.httpbin")
local json = require("asyncio.json")

local async, await = asyncio.async, asyncio.await

-- Peak resident memory of this process so far (VmHWM), in bytes.
local function peak_rss()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local kb = s:match("VmHWM:%s*(%d+) kB")
  return kb and tonumber(kb) * 1024
end

-- Under AddressSanitizer freed memory is held in quarantine: RSS says nothing.
local function sanitized()
  local f = io.open("/proc/self/maps")
  if not f then return false end
  local maps = f:read("a")
  f:close()
  return maps:find("libasan", 1, true) ~= nil
end

local BIG = 10 * 1024 * 1024
local rss_at_start = peak_rss()

-- First, while the process is small: a 10 MiB body streams through
-- read(n) without being held in memory (client and server in this process).
T.test("10 MiB body streams with bounded memory (read(n))", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp <close> = await(session:get(server.url .. "/bytes/" .. BIG))
  T.eq(resp.status, 200)
  T.eq(resp.headers["transfer-encoding"], "chunked")
  local expected = httpbin.bytes(65536)
  local total, bad, chunks = 0, 0, 0
  while true do
    local chunk = await(resp:read(65536))
    if chunk == nil then break end
    -- The body is a 64 KiB block repeated: check each piece where it lies.
    local off = total % 65536
    if chunk ~= (expected .. expected):sub(off + 1, off + #chunk) then bad = bad + 1 end
    total = total + #chunk
    chunks = chunks + 1
  end
  T.eq(total, BIG)
  T.eq(bad, 0, "chunks with wrong content")
  T.ok(chunks >= 160, "expected many chunks, got " .. chunks)
  if sanitized() or not rss_at_start then return end
  local grew = peak_rss() - rss_at_start
  T.ok(grew < BIG, string.format("peak RSS grew by %.1f MiB for a %d MiB body", grew / 2 ^ 20, BIG // 2 ^ 20))
end)

T.test("a slow reader on the virtual clock: the server's blocked writes let time jump", function()
  -- The client pauses the transfer (1 MiB unread), the server's writes then
  -- wait for it; the reader sleeps on the loop clock between chunks.
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp <close> = await(session:get(server.url .. "/bytes/" .. 24 * 1024 * 1024))
  local total, n = 0, 0
  for chunk in resp:iter_chunked(65536) do
    total = total + #chunk
    n = n + 1
    if n % 8 == 0 then await(asyncio.sleep(0.01)) end
  end
  T.eq(total, 24 * 1024 * 1024)
  T.near(asyncio.get_running_loop():time(), 0.48, 1e-6)
end)

T.test("iter_chunked and text() on a large body", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/bytes/" .. (3 * 65536 + 5)))
  local total = 0
  for chunk in resp:iter_chunked(10000) do
    T.ok(#chunk <= 10000)
    total = total + #chunk
  end
  T.eq(total, 3 * 65536 + 5)
  local body = await((await(session:get(server.url .. "/bytes/1000000"))):text())
  T.eq(#body, 1000000)
  T.eq(body, httpbin.bytes(1000000))
end)

T.test("get: status, headers, url, text, json", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/get?a=1&b=x%20y", {headers = {["X-Test"] = "yes"}}))
  T.eq(resp.status, 200)
  T.eq(resp.reason, "OK")
  T.eq(resp.ok, true)
  T.eq(resp.headers["content-type"], "application/json")
  T.eq(resp.url, server.url .. "/get?a=1&b=x%20y")
  local data = await(resp:json())
  T.eq(data.args, {a = "1", b = "x y"})
  T.eq(data.headers["x-test"], "yes")
  T.eq(data.method, "GET")
  -- text() and json() may be called again: the body is kept.
  T.eq(json.decode(await(resp:text())).method, "GET")
  local doc = await((await(session:get(server.url .. "/json"))):json())
  T.eq(doc, httpbin.JSON_DOCUMENT)
end)

T.test("post with json, body, params; put, patch, delete, head", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession({headers = {["X-Session"] = "s"}})
  local data = await((await(session:post(server.url .. "/post", {json = {x = 1, list = {1, 2}}}))):json())
  T.eq(data.json, {x = 1, list = {1, 2}})
  T.eq(data.headers["content-type"], "application/json")
  T.eq(data.headers["x-session"], "s")
  data = await((await(session:post(server.url .. "/post", {body = "raw\0bytes",
    headers = {["Content-Type"] = "application/octet-stream"}}))):json())
  T.eq(data.data, "raw\0bytes")
  T.eq(data.json, json.null)
  data = await((await(session:get(server.url .. "/get", {params = {q = "a b", n = 2}}))):json())
  T.eq(data.args, {q = "a b", n = "2"})
  for _, m in ipairs({"put", "patch", "delete"}) do
    data = await((await(session[m](session, server.url .. "/" .. m, {body = m}))):json())
    T.eq(data.method, m:upper())
    T.eq(data.data, m)
  end
  local resp = await(session:head(server.url .. "/bytes/100"))
  T.eq(resp.status, 200)
  T.eq(resp.headers["content-length"], "100")
  T.eq(await(resp:text()), "")
  resp = await(session:request("OPTIONS", server.url .. "/anything"))
  T.eq(await(resp:json()).method, "OPTIONS")
end)

T.test("connections are reused within a session", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  for _ = 1, 5 do
    local resp = await(session:get(server.url .. "/get"))
    await(resp:text())
  end
  T.eq(server:stats().connections_total, 1)
  T.eq(session:stats().requests, 5)
end)

T.test("10 requests to /delay/1 at once take 1 s (virtual clock)", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local loop = asyncio.get_running_loop()
  local fetch = async(function(i)
    local resp = await(session:get(server.url .. "/delay/1?i=" .. i))
    return await(resp:json()).args.i
  end)
  local aws = {}
  for i = 1, 10 do aws[i] = fetch(i) end
  local results = await(asyncio.gather(table.unpack(aws)))
  T.near(loop:time(), 1.0, 1e-9)
  for i = 1, 10 do T.eq(results[i], tostring(i)) end
end)

-- A server of this process answers over loopback: while its handler sleeps
-- on the virtual clock, the client's transfer waits on this loop, not on the
-- network, so a jump costs no real time instead of the autojump grace
-- (50 ms here: 30 requests took 1.5 s or more before).
T.test("virtual clock: 30 requests in a row to an in-process server take little real time", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local loop = asyncio.get_running_loop()
  local t0 = time.monotonic()
  for i = 1, 30 do
    local resp = await(session:get(server.url .. "/delay/1?i=" .. i))
    T.eq(await(resp:json()).args.i, tostring(i))
  end
  local real = time.monotonic() - t0
  T.near(loop:time(), 30.0, 1e-9)
  T.ok(real < 0.75, string.format("30 virtual jumps took %.3f s of real time", real))
end)

T.test("timeout: /delay/5 with timeout=1 raises TimeoutError at 1.0", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local loop = asyncio.get_running_loop()
  local err = T.raises(asyncio.TimeoutError, function()
    await(session:get(server.url .. "/delay/5", {timeout = 1}))
  end)
  T.near(loop:time(), 1.0, 1e-9)
  T.ok(tostring(err):find("^TimeoutError: request timed out after 1 s: GET http://127%.0%.0%.1:%d+/delay/5$"), tostring(err))
  T.eq(session:stats().active, 0)
  -- The session's default applies too; a later request works.
  local s2 <close> = http.ClientSession({timeout = 0.5})
  T.raises(asyncio.TimeoutError, function() await(s2:get(server.url .. "/delay/2")) end)
  T.near(loop:time(), 1.5, 1e-9)
  T.eq((await(session:get(server.url .. "/get"))).status, 200)
end)

T.test("timeout covers reading the body", function()
  local server <close> = await(http.serve(async(function(req)
    local n = 0
    return {body = function()   -- one chunk now, the next in 10 s
      n = n + 1
      if n == 2 then await(asyncio.sleep(10)) end
      return n <= 2 and "chunk" or nil
    end}
  end)))
  local session <close> = http.ClientSession({timeout = 2})
  local resp = await(session:get(server.url .. "/"))
  T.eq(resp.status, 200)
  T.raises(asyncio.TimeoutError, function() await(resp:text()) end)
  T.near(asyncio.get_running_loop():time(), 2.0, 1e-9)
end)

T.test("connection refused is a clear, catchable error", function()
  -- A port that was just free: start a server and close it.
  local port
  do
    local s <close> = await(http.serve(async(function() return "x" end)))
    port = s.port
  end
  local session <close> = http.ClientSession()
  local url = "http://127.0.0.1:" .. port .. "/"
  local ok, err = pcall(await, session:get(url))
  T.eq(ok, false)
  T.ok(http.ClientConnectionError:is(err))
  T.ok(http.ClientError:is(err))
  T.eq(err.code, "ECONNREFUSED")
  T.eq(err.url, url)
  T.eq(tostring(err), "ECONNREFUSED: connection refused: " .. url)
  T.eq(session:stats().active, 0)
end)

T.test("name resolution failure", function()
  local session <close> = http.ClientSession()
  local err = T.raises(http.ClientConnectionError, function()
    await(session:get("http://nonexistent.invalid/"))
  end)
  T.eq(err.code, "EAI_NONAME")
  T.ok(tostring(err):find("^EAI_NONAME: could not resolve host: http://nonexistent%.invalid/$"), tostring(err))
end)

T.test("bad URLs raise at once", function()
  local session <close> = http.ClientSession()
  T.raises("invalid URL", function() await(session:get("http://")) end)
  T.raises("unsupported URL scheme", function() await(session:get("ftp://example.com/")) end)
  T.raises("URL string expected", function() await(session:request("GET", 42)) end)
end)

T.test("a reset or an empty reply is a ClientConnectionError", function()
  local server <close> = await(asyncio.start_server(async(function(reader, writer)
    await(reader:readline())
    writer:close()   -- read the request line, then hang up without replying
  end), "127.0.0.1", 0))
  local session <close> = http.ClientSession()
  local err = T.raises(http.ClientConnectionError, function()
    await(session:get("http://127.0.0.1:" .. server.port .. "/"))
  end)
  T.ok(err.code == "ECONNRESET", tostring(err))
end)

T.test("4xx and 5xx are responses; raise_for_status raises HTTPError", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/status/404"))
  T.eq(resp.status, 404)
  T.eq(resp.ok, false)
  local err = T.raises(http.HTTPError, function() resp:raise_for_status() end)
  T.eq(err.status, 404)
  T.ok(tostring(err):find("^HTTP 404 Not Found: GET http://"), tostring(err))
  T.eq((await(session:get(server.url .. "/status/503"))).status, 503)
  err = T.raises(http.HTTPError, function()
    await(session:get(server.url .. "/status/500", {raise_for_status = true}))
  end)
  T.eq(err.status, 500)
  local strict <close> = http.ClientSession({raise_for_status = true})
  T.raises(http.HTTPError, function() await(strict:get(server.url .. "/status/418")) end)
  T.eq((await(strict:get(server.url .. "/status/204"))).status, 204)
end)

T.test("redirects: followed by default, limited, or not followed", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/redirect/3"))
  T.eq(resp.status, 200)
  T.eq(resp.url, server.url .. "/get")
  resp = await(session:get(server.url .. "/redirect/2", {redirects = false}))
  T.eq(resp.status, 302)
  T.eq(resp.headers.location, "/redirect/1")
  local err = T.raises(http.TooManyRedirects, function()
    await(session:get(server.url .. "/redirect/5", {redirects = 2}))
  end)
  T.eq(err.code, "ETOOMANYREDIRECTS")
  T.eq((await(session:get(server.url .. "/redirect/10"))).status, 200)
  T.raises(http.TooManyRedirects, function() await(session:get(server.url .. "/redirect/11")) end)
end)

T.test("malformed JSON raises JSONDecodeError", function()
  local server <close> = await(http.serve(async(function() return "not json {" end)))
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/"))
  local err = T.raises(json.JSONDecodeError, function() await(resp:json()) end)
  T.ok(tostring(err):find("malformed JSON", 1, true), tostring(err))
  T.ok(tostring(err):find(server.url, 1, true), tostring(err))
  T.eq(await(resp:text()), "not json {")
end)

T.test("cancelling an in-flight request releases its connection", function()
  local server <close> = await(httpbin.start())
  -- One connection at most: if the cancelled request kept it, the next one
  -- would wait for it (10 s).
  local session <close> = http.ClientSession({max_connections_per_host = 1})
  local loop = asyncio.get_running_loop()
  local task = asyncio.create_task(session:get(server.url .. "/delay/10"))
  await(asyncio.sleep(0.5))
  T.eq(session:stats().active, 1)
  task:cancel()
  T.raises(asyncio.CancelledError, function() await(task) end)
  T.eq(session:stats().active, 0)
  local resp = await(session:get(server.url .. "/get"))
  T.eq(resp.status, 200)
  T.near(loop:time(), 0.5, 1e-9)
  -- wait_for cancels the same way.
  T.raises(asyncio.TimeoutError, function()
    await(asyncio.wait_for(session:get(server.url .. "/delay/10"), 1))
  end)
  T.eq(session:stats().active, 0)
  T.eq((await(session:get(server.url .. "/get"))).status, 200)
  T.near(loop:time(), 1.5, 1e-9)
end)

T.test("releasing a response mid-body drops its connection; the session goes on", function()
  local server <close> = await(httpbin.start())
  local session <close> = http.ClientSession()
  do
    local resp <close> = await(session:get(server.url .. "/bytes/" .. BIG))
    T.eq(#await(resp:read(1000)), 1000)
  end
  T.eq(session:stats().active, 0)
  T.raises("released response", function()
    local resp = await(session:get(server.url .. "/bytes/10"))
    resp:release()
    await(resp:text())
  end)
  T.eq(#await((await(session:get(server.url .. "/bytes/5000"))):text()), 5000)
end)

T.test("one reader at a time per response", function()
  local server <close> = await(http.serve(async(function()
    local parts = {"a", "b"}
    return {body = function()
      local p = table.remove(parts, 1)
      if p == "b" then await(asyncio.sleep(1)) end
      return p
    end}
  end)))
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/"))
  T.eq(await(resp:read(100)), "a")
  local t1 = asyncio.create_task(resp:read(100))
  await(asyncio.sleep(0))
  T.raises("another task is already waiting", function() await(resp:read(100)) end)
  T.eq(await(t1), "b")
  T.eq(await(resp:read(100)), nil)
end)

T.test("session: to-be-closed, idempotent close, use after close", function()
  local server <close> = await(httpbin.start())
  local s = http.ClientSession()
  T.eq(s:closed(), false)
  s:close()
  s:close()
  T.eq(s:closed(), true)
  T.raises("attempt to use a closed ClientSession", function() await(s:get(server.url .. "/get")) end)
  local outer
  do
    local s2 <close> = http.ClientSession()
    outer = s2
    T.eq((await(s2:get(server.url .. "/get"))).status, 200)
  end
  T.eq(outer:closed(), true)
end)

T.test("closing the session fails its requests in flight", function()
  local server <close> = await(httpbin.start())
  local session = http.ClientSession()
  local task = asyncio.create_task(session:get(server.url .. "/delay/3"))
  await(asyncio.sleep(1))
  session:close()
  local err = T.raises(http.ClientConnectionError, function() await(task) end)
  T.eq(err.code, "ECANCELED")
end)

T.test("bad options raise", function()
  T.raises("bad option 'timeout'", function() http.ClientSession({timeout = "x"}) end)
  local session <close> = http.ClientSession()
  T.raises("bad option 'redirects'", function() await(session:get("http://127.0.0.1:1/", {redirects = "x"})) end)
  T.raises("line breaks", function()
    await(session:get("http://127.0.0.1:1/", {headers = {["X-A"] = "a\r\nX-Injected: 1"}}))
  end)
end)

-- Once on the real clock, with generous bounds: 10 concurrent /delay/1
-- requests take about 1 s, not 10.
local real_elapsed, real_err
do
  local ok, err = pcall(asyncio.run, async(function()
    local server <close> = await(httpbin.start())
    local session <close> = http.ClientSession()
    local t0 = time.monotonic()
    local aws = {}
    for i = 1, 10 do aws[i] = session:get(server.url .. "/delay/1") end
    local resps = await(asyncio.gather(table.unpack(aws)))
    for i = 1, 10 do assert(resps[i].status == 200) end
    real_elapsed = time.monotonic() - t0
  end)(), {clock = "real"})
  if not ok then real_err = err end
end
T.test("real clock: 10 concurrent /delay/1 take about 1 s", function()
  T.eq(real_err, nil)
  T.ok(real_elapsed >= 0.95 and real_elapsed < 3, "took " .. tostring(real_elapsed) .. " s")
end)

T.done()
