-- Tests for TLS streams: asyncio.ssl.create_context, open_connection and
-- start_server with {ssl = ...}, writer:start_tls (runtime/io/tls.cpp,
-- runtime/io/lua/streams.lua). The peers are OpenSSL's command-line tools
-- (openssl s_server, openssl s_client) and luasync itself; the certificates
-- are made afresh in a temporary directory by the openssl CLI. Loopback
-- only, on the virtual clock (testlib).
local T = require("testlib")

local ssl = asyncio.ssl

-- ---------------------------------------------------------------- fixtures

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -m 700 " .. dir))

local function sh(cmd)
  local ok = os.execute("(" .. cmd .. ") >/dev/null 2>&1")
  assert(ok, "failed: " .. cmd)
end

-- A throwaway CA, a server certificate for localhost / 127.0.0.1 signed by
-- it, a client certificate signed by it, and a self-signed certificate.
local EC = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
sh(("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -subj '/CN=luasync test CA'"):format(dir, EC))
sh(("cd %s && openssl req -x509 %s -keyout server.key -out server.pem -subj /CN=localhost"
  .. " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE"
  .. " -CA ca.pem -CAkey ca.key"):format(dir, EC))
sh(("cd %s && openssl req -x509 %s -keyout client.key -out client.pem -subj /CN=luasync-client"
  .. " -addext basicConstraints=critical,CA:FALSE -CA ca.pem -CAkey ca.key"):format(dir, EC))
sh(("cd %s && openssl req -x509 %s -keyout self.key -out self.pem -subj /CN=localhost"
  .. " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"):format(dir, EC))
sh(("cd %s && cat server.pem server.key > server-combined.pem"):format(dir))

local function path(name) return dir .. "/" .. name end

local function server_ctx(opts)
  opts = opts or {}
  opts.certfile = opts.certfile or path("server.pem")
  opts.keyfile = opts.keyfile or path("server.key")
  return ssl.create_context(opts)
end

local function client_ctx(opts)
  opts = opts or {}
  if opts.cafile == nil then opts.cafile = path("ca.pem") end
  return ssl.create_context(opts)
end

-- Starts `openssl s_server` (each line it receives comes back reversed:
-- -rev) on a free port; returns the process and the port.
local function s_server(cert, key, extra)
  local args = {"s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-rev",
    "-cert", path(cert), "-key", path(key)}
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  args[#args + 1] = {stdout = "pipe", stderr = "devnull", stdin = "devnull"}
  local proc = await(asyncio.create_subprocess_exec("openssl", table.unpack(args)))
  while true do
    local line = await(proc.stdout:readline())
    assert(line ~= "", "openssl s_server did not start")
    local port = line:match("^ACCEPT 127%.0%.0%.1:(%d+)")
    if port then return proc, tonumber(port) end
  end
end

local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

-- ---------------------------------------------------------------- client

T.test("open_connection with an SSL context talks to openssl s_server", function()
  local proc, port = s_server("server.pem", "server.key")
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port,
    {ssl = client_ctx(), server_hostname = "localhost"}))
  writer:write("hello tls\n")
  T.eq(await(reader:readline()), "slt olleh\n")
  local cipher = writer:get_extra_info("cipher")
  T.ok(type(cipher[1]) == "string" and cipher[2]:find("^TLSv1%.[23]$"), "cipher " .. T.repr(cipher))
  local cert = writer:get_extra_info("peercert")
  T.eq(cert.subject, "CN=localhost")
  T.eq(cert.issuer, "CN=luasync test CA")
  T.eq(cert.subject_alt_names, {"DNS:localhost", "IP:127.0.0.1"})
  T.eq(writer:can_write_eof(), false)
  local ok, err = pcall(writer.write_eof, writer)
  T.ok(not ok and tostring(err):find("not supported on a TLS stream", 1, true), tostring(err))
  writer:close()
  await(writer:wait_closed())
  await(proc:wait())
end)

T.test("ssl = true verifies: a self-signed server is refused, never a plain connection", function()
  local proc, port = s_server("self.pem", "self.key")
  local ok, err = pcall(await, asyncio.open_connection("127.0.0.1", port, {ssl = true}))
  T.ok(not ok, "connected to a self-signed server")
  T.ok(ssl.SSLCertVerificationError:is(err), "error class: " .. tostring(err))
  T.ok(ssl.SSLError:is(err) and asyncio.OSError:is(err), "an SSLError is an OSError")
  T.eq(err.code, "CERTIFICATE_VERIFY_FAILED")
  T.ok(tostring(err):find("self%-signed certificate"), tostring(err))
  T.ok(err.verify_code > 0)
  proc:kill()
  await(proc:wait())
end)

T.test("the certificate must name the host (server_hostname)", function()
  local proc, port = s_server("server.pem", "server.key")
  local ok, err = pcall(await, asyncio.open_connection("127.0.0.1", port,
    {ssl = client_ctx(), server_hostname = "example.org"}))
  T.ok(not ok and ssl.SSLCertVerificationError:is(err), tostring(err))
  T.ok(tostring(err):find("hostname mismatch"), tostring(err))
  proc:kill()
  await(proc:wait())
end)

T.test("the default server_hostname is the host: an IP address in the certificate", function()
  local proc, port = s_server("server.pem", "server.key")
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port, {ssl = client_ctx()}))
  writer:write("ip\n")
  T.eq(await(reader:readline()), "pi\n")
  writer:close()
  await(proc:wait())
end)

T.test("verify = false connects to a self-signed server", function()
  local proc, port = s_server("self.pem", "self.key")
  local ctx = ssl.create_context({verify = false})
  T.eq(ctx.verify, false)
  T.eq(ctx.check_hostname, false)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port, {ssl = ctx}))
  writer:write("abc\n")
  T.eq(await(reader:readline()), "cba\n")
  writer:close()
  await(proc:wait())
end)

T.test("a client certificate, when the server asks for one", function()
  local proc, port = s_server("server.pem", "server.key",
    {"-Verify", "1", "-verify_return_error", "-CAfile", path("ca.pem")})
  local ctx = client_ctx({certfile = path("client.pem"), keyfile = path("client.key")})
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port, {ssl = ctx}))
  writer:write("mtls\n")
  T.eq(await(reader:readline()), "sltm\n")
  writer:close()
  await(proc:wait())
end)

T.test("a server that never answers the handshake: ssl_handshake_timeout on the loop's clock", function()
  local server = await(asyncio.start_server(async(function(reader, writer)
    await(reader:read())  -- says nothing
  end), "127.0.0.1", 0))
  local loop = asyncio.get_running_loop()
  local t0 = loop:time()
  local ok, err = pcall(await, asyncio.open_connection("127.0.0.1", server.port,
    {ssl = client_ctx(), ssl_handshake_timeout = 5}))
  T.ok(not ok and asyncio.TimeoutError:is(err), tostring(err))
  T.ok(tostring(err):find("SSL handshake is taking longer than 5 seconds"), tostring(err))
  T.near(loop:time() - t0, 5, 1e-6)
  server:close()
end)

T.test("the server closes during the handshake: an SSLError, not a hang", function()
  local server = await(asyncio.start_server(async(function(reader, writer)
    await(reader:read(10))
    writer:close()
  end), "127.0.0.1", 0))
  local ok, err = pcall(await, asyncio.open_connection("127.0.0.1", server.port, {ssl = client_ctx()}))
  T.ok(not ok and ssl.SSLError:is(err), tostring(err))
  server:close()
end)

-- ---------------------------------------------------------------- server

-- A TLS server whose handler answers each line upper-cased until EOF.
local function upper_server(ctx)
  return await(asyncio.start_server(async(function(reader, writer)
    for line in reader:lines() do
      writer:write(line:upper() .. "\n")
      await(writer:drain())
    end
    writer:close()
  end), "127.0.0.1", 0, {ssl = ctx or server_ctx()}))
end

T.test("start_server with ssl serves openssl s_client", function()
  -- (s_client -quiet ignores the end of its input: the server ends the talk)
  local server = await(asyncio.start_server(async(function(reader, writer)
    for _ = 1, 2 do writer:write(await(reader:readline()):upper()) end
    writer:close()
  end), "127.0.0.1", 0, {ssl = server_ctx()}))
  local proc = await(asyncio.create_subprocess_exec("openssl", "s_client",
    "-connect", "127.0.0.1:" .. server.port, "-servername", "localhost",
    "-CAfile", path("ca.pem"), "-verify_return_error", "-verify_hostname", "localhost", "-quiet",
    {stdin = "pipe", stdout = "pipe", stderr = "devnull"}))
  local out = await(proc:communicate("one\ntwo\n"))
  T.eq(out, "ONE\nTWO\n")
  T.eq(await(proc:wait()), 0)
  server:close()
  await(server:wait_closed())
end)

T.test("luasync to luasync: a TLS echo of 1 MiB with back-pressure, certificate details", function()
  local server = await(asyncio.start_server(async(function(reader, writer)
    while true do
      local data = await(reader:read(65536))
      if data == "" then break end
      writer:write(data)
      await(writer:drain())
    end
    writer:close()
  end), "127.0.0.1", 0, {ssl = server_ctx()}))
  local reader, writer = await(asyncio.open_connection("localhost", server.port, {ssl = client_ctx()}))
  local chunk = string.rep("0123456789abcdef", 4096)  -- 64 KiB
  local sender = spawn(function()
    for _ = 1, 16 do
      writer:write(chunk)
      await(writer:drain())
    end
  end)
  local got = {}
  local total = 0
  while total < 16 * #chunk do
    local data = await(reader:read(100000))
    T.ok(data ~= "", "early EOF at " .. total)
    got[#got + 1] = data
    total = total + #data
  end
  await(sender)
  T.eq(total, 16 * #chunk)
  T.ok(table.concat(got) == string.rep(chunk, 16), "the bytes came back in order")
  T.eq(writer:get_extra_info("peercert").subject, "CN=localhost")
  writer:close()
  T.eq(await(reader:read()), "")  -- the server saw EOF (close_notify) and closed
  server:close()
  await(server:wait_closed())
end)

T.test("verify_client: the server requires a client certificate signed by its cafile", function()
  local sctx = server_ctx({cafile = path("ca.pem"), verify_client = true})
  local server = upper_server(sctx)
  -- Without a certificate: refused (TLS 1.3 reports it once the client reads).
  local ok, err = pcall(function()
    local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port, {ssl = client_ctx()}))
    writer:write("x\n")
    return await(reader:readline())
  end)
  T.ok(not ok and ssl.SSLError:is(err), "no client certificate: " .. tostring(err))
  -- With one: served.
  local cctx = client_ctx({certfile = path("client.pem"), keyfile = path("client.key")})
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port, {ssl = cctx}))
  writer:write("with cert\n")
  T.eq(await(reader:readline()), "WITH CERT\n")
  writer:close()
  server:close()
end)

T.test("a plain client at a TLS server: the handshake fails, the handler never runs", function()
  local ran = false
  local server = await(asyncio.start_server(async(function() ran = true end), "127.0.0.1", 0,
    {ssl = server_ctx()}))
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
  writer:write("GET / HTTP/1.0\r\n\r\n")
  local data = await(reader:read())  -- an alert, then EOF
  T.ok(#data < 100, "no application data")
  T.eq(ran, false)
  writer:close()
  server:close()
end)

T.test("writer:start_tls upgrades a plain connection (STARTTLS)", function()
  local server = await(asyncio.start_server(async(function(reader, writer)
    T.eq(await(reader:readline()), "STARTTLS\n")
    writer:write("GO\n")
    await(writer:drain())
    -- the server side of the upgrade: through the same machinery as ssl =
    local native = require("asyncio._tls")
    await(native.start_tls(writer, rawget(server_ctx(), "_fields").native, true))
    writer:write("secret: " .. await(reader:readline()))
    writer:close()
  end), "127.0.0.1", 0))
  local reader, writer = await(asyncio.open_connection("127.0.0.1", server.port))
  writer:write("STARTTLS\n")
  T.eq(await(reader:readline()), "GO\n")
  await(writer:start_tls(client_ctx(), {server_hostname = "localhost"}))
  writer:write("42\n")
  T.eq(await(reader:readline()), "secret: 42\n")
  writer:close()
  server:close()
end)

-- ---------------------------------------------------------------- HTTPS

local http = require("asyncio.http")

local function https_server(ctx)
  return await(http.serve(async(function(req)
    return {json = {path = req.path, cert = req.headers["x-client"]}}
  end), {host = "127.0.0.1", port = 0, ssl = ctx or server_ctx()}))
end

T.test("http.serve{ssl = ctx} serves HTTPS; the client trusts it through cafile", function()
  local server <close> = https_server()
  T.ok(server.url:find("^https://127%.0%.0%.1:%d+$"), server.url)
  local session <close> = http.ClientSession()
  local resp = await(session:get(server.url .. "/hello", {cafile = path("ca.pem")}))
  T.eq(resp.status, 200)
  T.eq(await(resp:json()).path, "/hello")
  -- without it, the certificate is not trusted (and no plain HTTP happens)
  local ok, err = pcall(await, session:get(server.url .. "/x"))
  T.ok(not ok and http.ClientConnectionError:is(err) and err.code == "ESSL", tostring(err))
  -- a session-wide cafile, or the same through an SSL context
  local s2 <close> = http.ClientSession({cafile = path("ca.pem")})
  T.eq(await(s2:get(server.url .. "/a")).status, 200)
  local s3 <close> = http.ClientSession({ssl = client_ctx()})
  T.eq(await(s3:get(server.url .. "/b")).status, 200)
end)

T.test("http.serve{ssl} answers openssl s_client", function()
  local server <close> = https_server()
  local proc = await(asyncio.create_subprocess_exec("openssl", "s_client",
    "-connect", "127.0.0.1:" .. server.port, "-CAfile", path("ca.pem"), "-verify_return_error", "-quiet",
    {stdin = "pipe", stdout = "pipe", stderr = "devnull"}))
  local out = await(proc:communicate("GET /via-s_client HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
  T.ok(out:find("^HTTP/1%.1 200 OK\r\n"), out)
  T.ok(out:find('"path":"/via-s_client"', 1, true), out)
end)

T.test("session:get(url, {verify = false}) does not verify, and warns once", function()
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(([[
    local http = require("asyncio.http")
    asyncio.run(async(function()
      local server <close> = await(http.serve(async(function() return "ok" end),
        {port = 0, ssl = asyncio.ssl.create_context{certfile = %q, keyfile = %q}}))
      local session <close> = http.ClientSession()
      local ok, err = pcall(await, session:get(server.url))
      print("verified", ok)
      for _ = 1, 2 do
        local resp = await(session:get(server.url, {verify = false}))
        print(resp.status, await(resp:text()))
      end
    end)())
  ]]):format(path("self.pem"), path("self.key")))
  f:close()
  local proc = await(asyncio.create_subprocess_exec(arg[-1], script,
    {stdout = "pipe", stderr = "pipe"}))
  local out, errout = await(proc:communicate())
  os.remove(script)
  T.eq(out, "verified\tfalse\n200\tok\n200\tok\n")
  local _, warnings = errout:gsub("verification is disabled", "")
  T.eq(warnings, 1, errout)
end)

T.test("a client certificate for an HTTPS server that requires one (cert =)", function()
  local server <close> = https_server(server_ctx({cafile = path("ca.pem"), verify_client = true}))
  local session <close> = http.ClientSession({cafile = path("ca.pem")})
  local ok, err = pcall(await, session:get(server.url .. "/nocert"))
  T.ok(not ok and http.ClientConnectionError:is(err), tostring(err))
  local resp = await(session:get(server.url .. "/cert", {cert = {path("client.pem"), path("client.key")}}))
  T.eq(resp.status, 200)
  T.eq(await(resp:json()).path, "/cert")
  resp = await(session:get(server.url .. "/cert2", {cert = {certfile = path("client.pem"), keyfile = path("client.key")}}))
  T.eq(resp.status, 200)
end)

T.test("HTTP options are checked", function()
  local ok, err = pcall(http.ClientSession, {verfy = false})
  T.ok(not ok and tostring(err):find("bad option 'verfy' to 'ClientSession' (unknown option; accepted: base_url, cafile, cert, headers, max_connections, max_connections_per_host, raise_for_status, ssl, timeout, verify)", 1, true), tostring(err))
  local session <close> = http.ClientSession()
  ok, err = pcall(function() return await(session:get("https://127.0.0.1:1/", {verfy = false})) end)
  T.ok(not ok and tostring(err):find("bad option 'verfy' to 'get' (unknown option; accepted:", 1, true), tostring(err))
  ok, err = pcall(await, session:request("GET", "https://127.0.0.1:1/", {verfy = false}))
  T.ok(not ok and tostring(err):find("bad option 'verfy' to 'request' (unknown option; accepted:", 1, true), tostring(err))
  ok, err = pcall(await, session:get("https://127.0.0.1:1/", {cert = 42}))
  T.ok(not ok and tostring(err):find("bad option 'cert' to 'request' (a PEM file path or {certfile, keyfile} expected", 1, true), tostring(err))
  ok, err = pcall(await, http.serve(function() end, {port = 0, sll = true}))
  T.ok(not ok and tostring(err):find("bad option 'sll' to 'serve' (unknown option; accepted: backlog, host, max_body, port, shutdown_timeout, ssl)", 1, true), tostring(err))
  ok, err = pcall(await, http.serve(function() end, {port = 0, ssl = asyncio.ssl.create_context()}))
  T.ok(not ok and tostring(err):find("the context has no certificate", 1, true), tostring(err))
end)

-- ---------------------------------------------------------------- contexts and options

T.test("create_context: bad files and options are clear errors", function()
  local ok, err = pcall(ssl.create_context, {cafile = path("missing.pem")})
  T.ok(not ok and ssl.SSLError:is(err), tostring(err))
  T.ok(tostring(err):find("cannot load cafile '" .. path("missing.pem") .. "': No such file or directory", 1, true),
    tostring(err))
  ok, err = pcall(ssl.create_context, {certfile = path("server.pem"), keyfile = path("self.key")})
  T.ok(not ok and tostring(err):find("cannot load keyfile", 1, true), tostring(err))
  ok, err = pcall(ssl.create_context, {cafile = path("ca.pem"), verfy = false})
  T.ok(not ok and tostring(err):find(
    "bad option 'verfy' to 'create_context' (unknown option; accepted: cafile, capath, certfile, check_hostname, keyfile, verify, verify_client)",
    1, true), tostring(err))
  ok, err = pcall(ssl.create_context, {verify = "no"})
  T.ok(not ok and tostring(err):find("bad option 'verify' to 'create_context' (boolean expected", 1, true), tostring(err))
  -- certfile alone holds both (cat cert key)
  local ctx = ssl.create_context({certfile = path("server-combined.pem")})
  T.ok(tostring(ctx):find("^<SSLContext verify=true"), tostring(ctx))
  ok, err = pcall(function() ctx.verify = false end)
  T.ok(not ok and tostring(err):find("read%-only"), tostring(err))
end)

T.test("open_connection and start_server reject unknown and mistyped options", function()
  local ok, err = pcall(asyncio.open_connection, "127.0.0.1", 1, {sll = true})
  T.ok(not ok and tostring(err):find(
    "bad option 'sll' to 'open_connection' (unknown option; accepted: limit, server_hostname, ssl, ssl_handshake_timeout)",
    1, true), tostring(err))
  ok, err = pcall(asyncio.open_connection, "127.0.0.1", 1, {ssl = "yes"})
  T.ok(not ok and tostring(err):find("bad option 'ssl' to 'open_connection' (SSLContext expected or true", 1, true),
    tostring(err))
  ok, err = pcall(asyncio.open_connection, "127.0.0.1", 1, {server_hostname = "x"})
  T.ok(not ok and tostring(err):find("only meaningful with ssl", 1, true), tostring(err))
  ok, err = pcall(asyncio.start_server, function() end, "127.0.0.1", 0, {ssl = ssl.create_context()})
  T.ok(not ok and tostring(err):find("the context has no certificate", 1, true), tostring(err))
  ok, err = pcall(asyncio.start_server, function() end, "127.0.0.1", 0, {reuse = true})
  T.ok(not ok and tostring(err):find("bad option 'reuse' to 'start_server' (unknown option; accepted: backlog, limit, ssl, ssl_handshake_timeout)", 1, true), tostring(err))
end)

os.execute("rm -rf " .. dir)
T.done()
