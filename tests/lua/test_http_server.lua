-- test_http_server.lua: http.serve, through asyncio.http's client and raw
-- TCP streams (for what a well-behaved client would never send).
local T = require("testlib")
local http = require("asyncio.http")
local json = require("asyncio.json")

local async, await = asyncio.async, asyncio.await

local function serve(handler, opts)
  return await(http.serve(async(handler), opts))
end

-- Sends raw bytes, returns everything the server sends back until it closes
-- the connection. (No timeout here on purpose: under the virtual clock a
-- pending timer may fire before the in-process server has even read the
-- request; see the report on the loop's jump rule.)
local function raw_exchange(port, data)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  writer:write(data)
  await(writer:drain())
  local parts = {}
  while true do
    local chunk = await(reader:read(65536))
    if chunk == nil or chunk == "" then break end
    parts[#parts + 1] = chunk
  end
  writer:close()
  pcall(await, writer:wait_closed())
  return table.concat(parts)
end

-- Waits (on the loop) until cond() holds, at most `limit` loop seconds.
local function eventually(cond, limit)
  local loop = asyncio.get_running_loop()
  local deadline = loop:time() + (limit or 5)
  while not cond() do
    if loop:time() > deadline then return false end
    await(asyncio.sleep(0.01))
  end
  return true
end

T.test("responses: string, table, json, nil, custom status and headers", function()
  local server <close> = serve(function(req)
    if req.path == "/s" then return "hello" end
    if req.path == "/t" then return {status = 201, headers = {["X-Thing"] = "1"}, body = "made"} end
    if req.path == "/j" then return {json = {ok = true, n = 3}} end
    if req.path == "/ct" then return {headers = {["Content-Type"] = "text/html"}, body = "<p>"} end
    return nil
  end)
  local session <close> = http.ClientSession()
  local r = await(session:get(server.url .. "/s"))
  T.eq(r.status, 200)
  T.eq(r.headers["content-type"], "text/plain; charset=utf-8")
  T.eq(r.headers["content-length"], "5")
  T.eq(r.headers.server, "luasync")
  T.eq(await(r:text()), "hello")
  r = await(session:get(server.url .. "/t"))
  T.eq(r.status, 201)
  T.eq(r.reason, "Created")
  T.eq(r.headers["x-thing"], "1")
  T.eq(await(r:text()), "made")
  r = await(session:get(server.url .. "/j"))
  T.eq(r.headers["content-type"], "application/json")
  T.eq(await(r:json()), {ok = true, n = 3})
  r = await(session:get(server.url .. "/ct"))
  T.eq(r.headers["content-type"], "text/html")
  r = await(session:get(server.url .. "/nil"))
  T.eq(r.status, 204)
  T.eq(await(r:text()), "")
end)

T.test("the request: method, path, query, args, headers, body, remote", function()
  local seen
  local server <close> = serve(function(req)
    seen = req
    return "ok"
  end)
  local session <close> = http.ClientSession()
  await(session:post(server.url .. "/a/b?x=1&y=two%20words", {body = "payload", headers = {["X-One"] = "1"}}))
  T.eq(seen.method, "POST")
  T.eq(seen.path, "/a/b")
  T.eq(seen.query, "x=1&y=two%20words")
  T.eq(seen.args, {x = "1", y = "two words"})
  T.eq(seen.headers["x-one"], "1")
  T.eq(seen.headers.host, "127.0.0.1:" .. server.port)
  T.eq(seen.body, "payload")
  T.eq(seen.version, "1.1")
  T.eq(seen.remote, "127.0.0.1")
  await(session:post(server.url .. "/j", {json = {k = "v"}}))
  T.eq(seen:json(), {k = "v"})
end)

T.test("keep-alive: one connection for many requests", function()
  local server <close> = serve(function(req) return req.path end)
  local session <close> = http.ClientSession()
  for i = 1, 20 do
    T.eq(await((await(session:get(server.url .. "/" .. i))):text()), "/" .. i)
  end
  local st = server:stats()
  T.eq(st.connections_total, 1)
  T.eq(st.requests_total, 20)
end)

T.test("raw HTTP/1.1: pipelined keep-alive requests and Connection: close", function()
  local server <close> = serve(function(req) return req.path end)
  local out = raw_exchange(server.port,
    "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
  T.ok(out:find("HTTP/1.1 200 OK", 1, true), out)
  T.ok(out:find("\r\n\r\n/one", 1, true), out)
  T.ok(out:find("\r\n\r\n/two$"), out)
  T.ok(out:find("Connection: close", 1, true), out)
end)

T.test("chunked request bodies", function()
  local server <close> = serve(function(req) return {json = {body = req.body, n = #req.body}} end)
  local out = raw_exchange(server.port,
    "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" ..
    "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
  T.ok(out:find('{"body":"hello, world","n":12}', 1, true), out)
end)

T.test("large request bodies, and 413 above max_body", function()
  local server <close> = serve(function(req) return tostring(#req.body) end, {max_body = 2 * 1024 * 1024})
  local session <close> = http.ClientSession()
  local big = string.rep("x", 1024 * 1024)
  T.eq(await((await(session:post(server.url .. "/", {body = big}))):text()), tostring(#big))
  -- (Headers only: h2o answers 413 and closes at once, and a client still
  -- sending its body could see the reset before the answer.)
  local out = raw_exchange(server.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
  T.ok(out:find("^HTTP/1.1 413"), out)
end)

T.test("streamed (chunked) responses with back-pressure", function()
  local server <close> = serve(function(req)
    local i = 0
    return {headers = {["Content-Type"] = "text/plain"}, body = function()
      i = i + 1
      if i > 100 then return nil end
      if i % 10 == 0 then await(asyncio.sleep(0.1)) end
      return string.rep(string.char(64 + i % 26), 10000)
    end}
  end)
  local session <close> = http.ClientSession()
  local r = await(session:get(server.url .. "/"))
  T.eq(r.headers["transfer-encoding"], "chunked")
  local body = await(r:text())
  T.eq(#body, 100 * 10000)
  T.eq(body:sub(1, 3), "AAA")
  T.near(asyncio.get_running_loop():time(), 1.0, 1e-9)
end)

T.test("concurrent slow handlers run as separate tasks", function()
  local running, most = 0, 0
  local server <close> = serve(function(req)
    running = running + 1
    most = math.max(most, running)
    await(asyncio.sleep(1))
    running = running - 1
    return req.path
  end)
  local session <close> = http.ClientSession()
  local aws = {}
  for i = 1, 10 do aws[i] = session:get(server.url .. "/" .. i) end
  local resps = await(asyncio.gather(table.unpack(aws)))
  for i = 1, 10 do T.eq(await(resps[i]:text()), "/" .. i) end
  T.eq(most, 10)
  T.near(asyncio.get_running_loop():time(), 1.0, 1e-9)
end)

T.test("a handler error gives a 500; the server goes on", function()
  local server <close> = serve(function(req)
    if req.path == "/boom" then error("kaboom") end
    if req.path == "/bad" then return 42 end
    if req.path == "/badbody" then return {body = function() error("mid-body") end} end
    return "fine"
  end)
  local session <close> = http.ClientSession()
  local r = await(session:get(server.url .. "/boom"))
  T.eq(r.status, 500)
  T.eq(await(r:text()), "Internal Server Error")
  T.eq((await(session:get(server.url .. "/bad"))).status, 500)
  r = await(session:get(server.url .. "/badbody"))
  T.eq(r.status, 200)   -- the head was out; the body is cut short
  T.raises(http.ClientConnectionError, function() await(r:text()) end)
  T.eq(await((await(session:get(server.url .. "/ok"))):text()), "fine")
end)

T.test("malformed requests get a 400 and do not disturb others", function()
  local server <close> = serve(function(req) return "fine" end)
  local out = raw_exchange(server.port, "GARBAGE\0\1 nonsense\r\n\r\n")
  T.ok(out:find("^HTTP/1.1 400 Bad Request"), out)
  out = raw_exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
  T.ok(out:find("^HTTP/1.1 400"), out)
  out = raw_exchange(server.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
  T.ok(out:find("^HTTP/1.1 400"), out)
  -- Request heads are limited to 8 KiB + 4 KiB per header (h2o's limit).
  out = raw_exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " .. string.rep("a", 500000) .. "\r\n\r\n")
  T.ok(out:find("^HTTP/1.1 400"), out)
  local many = {}
  for i = 1, 150 do many[i] = "X-H" .. i .. ": v\r\n" end
  out = raw_exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\n" .. table.concat(many) .. "\r\n")
  T.ok(out:find("^HTTP/1.1 400"), out)
  local session <close> = http.ClientSession()
  T.eq(await((await(session:get(server.url .. "/"))):text()), "fine")
  T.ok(eventually(function() return server:stats().connections == 1 end), "connections left open")
end)

T.test("clients that disconnect mid-request or mid-handler", function()
  local calls, finished = 0, 0
  local server <close> = serve(function(req)
    calls = calls + 1
    await(asyncio.sleep(2))
    finished = finished + 1
    return "late"
  end)
  -- Headers cut short; then a body cut short.
  for _, data in ipairs({"GET / HTTP/1.1\r\nHost:", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"}) do
    local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
    writer:write(data)
    await(writer:drain())
    await(asyncio.sleep(0.1))
    writer:close()
    await(writer:wait_closed())
  end
  -- A full request whose client leaves while the handler runs.
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
  writer:write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
  await(writer:drain())
  await(asyncio.sleep(0.5))
  writer:close()
  await(writer:wait_closed())
  T.eq(calls, 1)
  -- Others are served meanwhile.
  local session <close> = http.ClientSession()
  T.eq(await((await(session:get(server.url .. "/x"))):text()), "late")
  T.eq(finished, 2)
  T.ok(eventually(function() return server:stats().connections == 1 end), "connections left open")
  T.eq(server:stats().handlers, 0)
end)

T.test("a client that leaves during a streamed response ends the stream", function()
  local chunks, ended = 0, false
  local server <close> = serve(function(req)
    return {body = function()
      chunks = chunks + 1
      if chunks > 100000 then return nil end
      return string.rep("z", 65536)
    end}
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
  writer:write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
  await(writer:drain())
  T.ok(#await(reader:read(65536)) > 0)
  writer:close()
  await(writer:wait_closed())
  T.ok(eventually(function() return server:stats().handlers == 0 end, 10), "the handler is still streaming")
  T.ok(chunks < 1000, "kept producing chunks: " .. chunks)
  T.ok(eventually(function() return server:stats().connections == 0 end), "connection left open")
end)

T.test("HTTP/1.0 and Expect: 100-continue", function()
  local server <close> = serve(function(req) return req.version .. " " .. req.body end)
  local out = raw_exchange(server.port, "GET / HTTP/1.0\r\n\r\n")
  T.ok(out:find("^HTTP/1.1 200 OK"), out)
  T.ok(out:find("1.0 $"), out)
  out = raw_exchange(server.port, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" ..
    "Content-Length: 4\r\nConnection: close\r\n\r\nbody")
  T.ok(out:find("^HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), out)
  T.ok(out:find("1.1 body$"), out)
end)

T.test("a slow client does not hold up others", function()
  local server <close> = serve(function(req) return "hi " .. req.path end)
  local slow = asyncio.create_task(async(function()
    local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
    for c in ("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):gmatch(".") do
      writer:write(c)
      await(writer:drain())
      await(asyncio.sleep(0.05))
    end
    local out = await(reader:read(65536))
    writer:close()
    return out
  end)())
  local session <close> = http.ClientSession()
  local loop = asyncio.get_running_loop()
  for i = 1, 5 do
    T.eq(await((await(session:get(server.url .. "/" .. i))):text()), "hi /" .. i)
  end
  T.ok(loop:time() < 0.1, "fast clients waited for the slow one")
  T.ok(await(slow):find("hi /slow$"))
end)

T.test("close: wait_closed, idempotent, port released; to-be-closed", function()
  local server = serve(function(req) return "x" end)
  local session <close> = http.ClientSession()
  T.eq((await(session:get(server.url .. "/"))).status, 200)
  local port = server.port
  server:close()
  server:close()
  await(server:wait_closed())
  await(server:wait_closed())
  T.eq(server:stats().connections, 0)
  T.raises("ECONNREFUSED", function() await(session:get("http://127.0.0.1:" .. port .. "/")) end)
  local s2
  do
    local s <close> = serve(function() return "y" end)
    s2 = s
  end
  T.eq(s2:stats().connections, 0)
  T.raises("ECONNREFUSED", function() await(session:get(s2.url .. "/")) end)
end)

T.test("closing waits for running handlers; abort cancels them", function()
  local cancelled = false
  local server = serve(function(req)
    if req.path == "/forever" then
      local ok, err = pcall(await, asyncio.sleep(3600))
      cancelled = asyncio.CancelledError:is(err)
      error(err, 0)
    end
    await(asyncio.sleep(1))
    return "done"
  end)
  local session <close> = http.ClientSession()
  local t1 = asyncio.create_task(session:get(server.url .. "/slow"))
  local t2 = asyncio.create_task(session:get(server.url .. "/forever"))
  await(asyncio.sleep(0.1))
  server:close()
  T.eq(await(await(t1):text()), "done")      -- in-flight responses complete
  T.eq(asyncio.get_running_loop():time(), 1.0)
  server:abort()
  T.eq((await(t2)).status, 503)
  await(server:wait_closed())
  T.eq(cancelled, true)
end)

T.test("a to-be-closed server gives handlers shutdown_timeout seconds", function()
  local session <close> = http.ClientSession()
  local t
  do
    local server <close> = serve(function(req)
      await(asyncio.sleep(100))
      return "never"
    end, {shutdown_timeout = 2})
    t = asyncio.create_task(session:get(server.url .. "/"))
    await(asyncio.sleep(0.1))
  end
  T.near(asyncio.get_running_loop():time(), 2.1, 1e-9)
  T.eq((await(t)).status, 503)
end)

T.test("bind errors and bad arguments", function()
  local server <close> = serve(function() return "" end)
  local err = T.raises("EADDRINUSE", function() serve(function() end, {port = server.port}) end)
  T.raises("bad host", function() serve(function() end, {host = "not an address"}) end)
  T.raises("handler function expected", function() await(http.serve(42)) end)
  T.raises("bad option 'port'", function() serve(function() end, {port = "80"}) end)
end)

T.done()
