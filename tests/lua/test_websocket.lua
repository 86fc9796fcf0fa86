-- Tests for websockets: http.ws_connect and request:upgrade_websocket
-- (runtime/io/ws.cpp on wslay, runtime/io/lua/modules/http.lua). The independent
-- peer is Python's websockets package (tests/fixtures/ws_peer.py, run by
-- /usr/bin/python3), in both directions; also luasync against itself.
-- Loopback only, on the virtual clock (testlib).
local T = require("testlib")
local http = require("asyncio.http")

local PEER = "../fixtures/ws_peer.py"

-- Starts the Python websocket server; returns the process and its port.
local function python_server(...)
  local args = {PEER, "server", ...}
  args[#args + 1] = {stdin = "pipe", stdout = "pipe", stderr = "inherit"}
  local proc = await(asyncio.create_subprocess_exec("/usr/bin/python3", table.unpack(args)))
  local line = await(proc.stdout:readline())
  local port = tonumber(line)
  assert(port, "the Python websocket server did not start: " .. line)
  return proc, port
end

local function stop(proc)
  proc.stdin:close()
  await(proc:wait())
end

-- A self-signed certificate for localhost and 127.0.0.1 in a fresh private
-- directory: returns the directory, cert.pem and key.pem's paths.
local function make_cert()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    .. " -keyout %s/key.pem -out %s/cert.pem -subj /CN=localhost"
    .. " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1"):format(dir, dir)))
  return dir, dir .. "/cert.pem", dir .. "/key.pem"
end

-- ---------------------------------------------------------------- client

T.test("ws_connect to a Python websockets server: text, binary, ping, close", function()
  local proc, port = python_server()
  local ws = await(http.ws_connect("ws://127.0.0.1:" .. port .. "/room/1", {protocols = {"superchat"}}))
  T.eq(ws.subprotocol, "superchat")
  await(ws:send("hello"))
  T.eq(await(ws:receive()), "echo:hello")
  await(ws:send({binary = "\0\1\2"}))
  T.eq(await(ws:receive()), {binary = "\2\1\0"})
  await(ws:send("path?"))
  T.eq(await(ws:receive()), "/room/1")
  await(ws:ping("are you there"))
  local big = string.rep("x", 300000)
  await(ws:send(big))
  T.eq(await(ws:receive()), "echo:" .. big)
  await(ws:close())
  T.eq(ws.close_code, 1000)
  T.eq(await(ws:receive()), nil)
  local ok, err = pcall(await, ws:send("late"))
  T.ok(not ok and http.WebSocketError:is(err), tostring(err))
  stop(proc)
end)

T.test("the server closes with a code: receive() returns nil, close_code and close_reason tell why", function()
  local proc, port = python_server()
  do
    local ws <close> = await(http.ws_connect("ws://127.0.0.1:" .. port .. "/"))
    await(ws:send("close-me"))
    T.eq(await(ws:receive()), nil)
    T.eq(ws.close_code, 4001)
    T.eq(ws.close_reason, "done")
    T.eq(await(ws:receive()), nil)  -- and again
  end
  stop(proc)
end)

T.test("wss:// to a Python server with TLS, trusted through an SSL context", function()
  local dir, cert, key = make_cert()
  local proc, port = python_server(cert, key)
  local ctx = asyncio.ssl.create_context({cafile = cert})
  local ws <close> = await(http.ws_connect("wss://localhost:" .. port .. "/secure", {ssl = ctx}))
  await(ws:send("over tls"))
  T.eq(await(ws:receive()), "echo:over tls")
  -- without the context, the certificate is refused
  local ok, err = pcall(await, http.ws_connect("wss://localhost:" .. port .. "/"))
  T.ok(not ok and asyncio.ssl.SSLCertVerificationError:is(err), tostring(err))
  await(ws:close())
  stop(proc)
  os.execute("rm -rf " .. dir)
end)

T.test("a server that is not a websocket server: a clear error", function()
  local server <close> = await(http.serve(async(function() return "plain" end), {port = 0}))
  local ok, err = pcall(await, http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
  T.ok(not ok and http.ClientConnectionError:is(err), tostring(err))
  T.ok(tostring(err):find("refused the websocket (HTTP 200)", 1, true), tostring(err))
end)

-- ---------------------------------------------------------------- server

-- An http.serve handler that echoes like the Python peer.
local function echo_handler(req)
  if req.path ~= "/ws" then return {status = 404} end
  local ws <close> = await(req:upgrade_websocket({protocols = {"chat"}}))
  while true do
    local msg = await(ws:receive())
    if msg == nil then break end
    if type(msg) == "table" then
      await(ws:send({binary = msg.binary:reverse()}))
    else
      await(ws:send(msg == "proto?" and tostring(ws.subprotocol) or msg))
    end
  end
end

T.test("a Python websockets client talks to request:upgrade_websocket", function()
  local server <close> = await(http.serve(async(echo_handler), {port = 0}))
  local proc = await(asyncio.create_subprocess_exec("/usr/bin/python3", PEER, "client",
    "ws://127.0.0.1:" .. server.port .. "/ws", {stdout = "pipe", stderr = "inherit"}))
  local out = await(proc:communicate())
  -- b"\x00\x01bytes" comes back reversed: b"setyb\x01\x00"
  T.eq(out, "subprotocol chat\ntext hello\nbinary 73657479620100\npong ok\nbig 200000\nclosed 4000 bye\n")
  T.eq(await(proc:wait()), 0)
end)

-- ---------------------------------------------------------------- wss:// on http.serve{ssl = ...}

-- An HTTPS server (http.serve{ssl = ctx}) with the echo handler; returns
-- the server, the directory of its certificate and the certificate's path.
local function https_echo_server()
  local dir, cert, key = make_cert()
  local ctx = asyncio.ssl.create_context({certfile = cert, keyfile = key})
  return await(http.serve(async(echo_handler), {port = 0, ssl = ctx})), dir, cert
end

T.test("wss://: luasync client to request:upgrade_websocket on an HTTPS server: text, binary, ping, close code", function()
  local server, dir, cert = https_echo_server()
  local url = "wss://127.0.0.1:" .. server.port .. "/ws"
  local ws = await(http.ws_connect(url, {ssl = asyncio.ssl.create_context({cafile = cert}), protocols = {"chat"}}))
  T.eq(ws.subprotocol, "chat")
  await(ws:send("hello over tls"))
  T.eq(await(ws:receive()), "hello over tls")
  await(ws:send({binary = "\0\1\2\255"}))
  T.eq(await(ws:receive()), {binary = "\255\2\1\0"})
  await(ws:send("proto?"))
  T.eq(await(ws:receive()), "chat")
  await(ws:ping("still there?"))
  local big = string.rep("z", 300000)  -- many TLS records each way
  await(ws:send(big))
  T.eq(await(ws:receive()), big)
  -- the TLS session is the one h2o negotiated: the websocket's stream is TLS
  T.eq(ws._writer:get_extra_info("version"), "TLSv1.3")
  await(ws:close(4002, "enough"))
  T.eq(ws.close_code, 4002)
  T.eq(ws.close_reason, "enough")
  T.eq(await(ws:receive()), nil)
  -- a client that does not trust the certificate never reaches the handler
  local ok, err = pcall(await, http.ws_connect(url))
  T.ok(not ok and asyncio.ssl.SSLCertVerificationError:is(err), tostring(err))
  -- the HTTP client's TLS options work too: cafile, and verify = false
  for _, opts in ipairs({{cafile = cert}, {verify = false}, {ssl = false}}) do
    local ws2 <close> = await(http.ws_connect(url, opts))
    await(ws2:send("again"))
    T.eq(await(ws2:receive()), "again")
  end
  ok, err = pcall(await, http.ws_connect(url, {cafile = 42}))
  T.ok(not ok and tostring(err):find("bad option 'cafile' to 'ws_connect' (path string expected, got number)", 1, true),
    tostring(err))
  -- plain ws:// to the HTTPS port: the TLS server does not answer 101
  ok, err = pcall(await, http.ws_connect("ws://127.0.0.1:" .. server.port .. "/ws", {open_timeout = 5}))
  T.ok(not ok and http.ClientConnectionError:is(err), tostring(err))
  T.ok(tostring(err):find("closed the connection without answering the websocket handshake (a TLS server? use wss://)",
    1, true), tostring(err))
  server:close()
  await(server:wait_closed())
  os.execute("rm -rf " .. dir)
end)

T.test("wss://: a Python websockets client (trusting the test certificate) talks to an HTTPS server", function()
  local server, dir, cert = https_echo_server()
  local proc = await(asyncio.create_subprocess_exec("/usr/bin/python3", PEER, "client",
    "wss://127.0.0.1:" .. server.port .. "/ws", cert, {stdout = "pipe", stderr = "inherit"}))
  local out = await(proc:communicate())
  T.eq(out, "subprotocol chat\ntext hello\nbinary 73657479620100\npong ok\nbig 200000\nclosed 4000 bye\n")
  T.eq(await(proc:wait()), 0)
  server:close()
  await(server:wait_closed())
  os.execute("rm -rf " .. dir)
end)

T.test("wss://: a client certificate (cert =) for an HTTPS server that requires one; the handler sees it", function()
  local dir, cert, key = make_cert()
  local server <close> = await(http.serve(async(function(req)
    local ws <close> = await(req:upgrade_websocket())
    await(ws:send(ws._writer:get_extra_info("peercert").subject))
  end), {port = 0, ssl = asyncio.ssl.create_context({certfile = cert, keyfile = key, cafile = cert, verify_client = true})}))
  local url = "wss://127.0.0.1:" .. server.port .. "/"
  do
    local ws <close> = await(http.ws_connect(url, {cafile = cert, cert = {cert, key}}))
    T.eq(await(ws:receive()), "CN=localhost")
    T.eq(await(ws:receive()), nil)
    T.eq(ws.close_code, 1000)
  end
  -- without one, the server cuts the connection once the handshake has failed on its side
  local ok, err = pcall(await, http.ws_connect(url, {cafile = cert}))
  T.ok(not ok and http.ClientConnectionError:is(err), tostring(err))
  T.ok(tostring(err):find("closed the connection without answering the websocket handshake", 1, true), tostring(err))
  os.execute("rm -rf " .. dir)
end)

T.test("wss://: closing an HTTPS server closes its websockets with 1001 over TLS", function()
  local dir, cert, key = make_cert()
  local log = {}
  local server = await(http.serve(async(function(req)
    local ws <close> = await(req:upgrade_websocket())
    while await(ws:receive()) ~= nil do end
    log[#log + 1] = ws.close_code
  end), {port = 0, ssl = asyncio.ssl.create_context({certfile = cert, keyfile = key})}))
  local ctx = asyncio.ssl.create_context({cafile = cert})
  local a = await(http.ws_connect("wss://localhost:" .. server.port .. "/", {ssl = ctx}))
  local b = await(http.ws_connect("wss://localhost:" .. server.port .. "/", {ssl = ctx}))
  await(asyncio.sleep(0.1))
  T.eq(server:stats().websockets, 2)
  await(a:close())
  await(asyncio.sleep(0.1))
  T.eq(log, {1000})
  server:close()
  await(asyncio.wait_for(server:wait_closed(), 5))
  T.eq(await(b:receive()), nil)
  T.eq(b.close_code, 1001)
  T.eq(b.close_reason, "server shutting down")
  await(asyncio.sleep(0.1))
  T.eq(log, {1000, 1001})
  os.execute("rm -rf " .. dir)
end)

T.test("luasync to luasync: many messages through a small queue (back-pressure), <close>", function()
  local received = {}
  local server <close> = await(http.serve(async(function(req)
    local ws <close> = await(req:upgrade_websocket({max_queue = 2}))
    while true do
      local msg = await(ws:receive())
      if msg == nil then break end
      received[#received + 1] = msg
      await(asyncio.sleep(0.01))  -- a slow consumer
    end
  end), {port = 0}))
  do
    local ws <close> = await(http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
    for i = 1, 50 do await(ws:send("m" .. i)) end
  end  -- closing waits for the server's answer to the close frame
  await(asyncio.sleep(1))
  T.eq(#received, 50)
  for i = 1, 50 do T.eq(received[i], "m" .. i) end
end)

T.test("upgrade_websocket on a plain request answers 400; options are checked", function()
  local server <close> = await(http.serve(async(echo_handler), {port = 0}))
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/ws"))
  T.eq(resp.status, 400)
  local ok, err = pcall(await, http.ws_connect("ws://127.0.0.1:1/", {protocol = {"x"}}))
  T.ok(not ok and tostring(err):find("bad option 'protocol' to 'ws_connect' (unknown option; accepted: cafile, cert, headers, max_queue, max_size, open_timeout, protocols, ssl, verify)", 1, true), tostring(err))
  ok, err = pcall(await, http.ws_connect("http://127.0.0.1:1/"))
  T.ok(not ok and tostring(err):find("a ws:// or wss:// URL expected", 1, true), tostring(err))
end)

-- A server whose handler holds its websocket open until the client closes.
local function holding_server(log)
  return await(http.serve(async(function(req)
    local ws <close> = await(req:upgrade_websocket())
    while await(ws:receive()) ~= nil do end
    log[#log + 1] = ws.close_code
  end), {port = 0}))
end

T.test("server:stats() counts the open websockets; server:close() closes them with 1001 and wait_closed() waits", function()
  local log = {}
  local server = holding_server(log)
  local a = await(http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
  local b = await(http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
  await(asyncio.sleep(0.1))
  T.eq(server:stats().websockets, 2)
  await(a:close())
  await(asyncio.sleep(0.1))
  T.eq(server:stats().websockets, 1)
  T.eq(log, {1000})
  server:close()
  await(asyncio.wait_for(server:wait_closed(), 5))
  T.eq(server:stats().websockets, 0)
  T.eq(await(b:receive()), nil)
  T.eq(b.close_code, 1001)
  T.eq(b.close_reason, "server shutting down")
  await(asyncio.sleep(0.1))
  T.eq(log, {1000, 1001})
end)

T.test("server:abort() cuts the websockets (1006 on the server's side); <close> of the server closes them", function()
  local log = {}
  local server = holding_server(log)
  local a = await(http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
  await(asyncio.sleep(0.1))
  server:abort()
  T.eq(server:stats().websockets, 0)
  T.eq(await(a:receive()), nil)
  T.eq(a.close_code, 1006)
  await(asyncio.wait_for(server:wait_closed(), 5))

  log = {}
  local b
  do
    local s2 <close> = holding_server(log)
    b = await(http.ws_connect("ws://127.0.0.1:" .. s2.port .. "/"))
    await(asyncio.sleep(0.1))
  end  -- the server's <close> waits for its websockets
  T.eq(b.close_code, 1001)
  T.eq(await(b:receive()), nil)
end)

T.test("the chat room example of the docs runs (docs/examples/chat_room.lua --demo)", function()
  local proc = await(asyncio.create_subprocess_exec(arg[-1], "--virtual-time", "../../docs/examples/chat_room.lua",
    "--demo", {stdout = "pipe", stderr = "inherit"}))
  local out = await(proc:communicate())
  T.eq(await(proc:wait()), 0)
  for _, line in ipairs({"ada joined", "bob joined", "cy joined", "ada: hello, room", "bob: hi ada",
                         "cy: hey both", "cy: bye"}) do
    T.ok(out:find("ada heard: " .. line .. "\n", 1, true), "missing '" .. line .. "' in:\n" .. out)
  end
end)

T.done()
