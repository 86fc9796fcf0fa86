-- Tests for Unix domain sockets (asyncio.open_unix_connection,
-- start_unix_server), UDP (loop:create_datagram_endpoint) and
-- asyncio.getaddrinfo (runtime/io/tcp.cpp, runtime/io/udp.cpp,
-- runtime/io/lua/streams.lua). Loopback and temporary directories only, on the
-- virtual clock (testlib).
local T = require("testlib")

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -m 700 " .. d))
  return d
end

local function exists(path)  -- (io.open cannot open a socket)
  return os.execute("test -e '" .. path .. "'") == true
end

-- ---------------------------------------------------------------- Unix sockets

T.test("a Unix socket server and client talk; closing removes the socket file", function()
  local dir = tmpdir()
  local path = dir .. "/echo.sock"
  local server = await(asyncio.start_unix_server(async(function(reader, writer)
    for line in reader:lines() do
      writer:write("echo:" .. line .. "\n")
      await(writer:drain())
    end
    writer:close()
  end), path))
  T.eq(server.path, path)
  T.eq(tostring(server), "<Server " .. path .. ">")
  T.ok(exists(path), "the socket file exists")
  local reader, writer = await(asyncio.open_unix_connection(path))
  writer:write("hello\n")
  T.eq(await(reader:readline()), "echo:hello\n")
  T.eq(writer:get_extra_info("peername"), path)
  T.eq(writer:can_write_eof(), true)
  writer:write("last\n")
  writer:write_eof()  -- a Unix socket half-closes like TCP
  T.eq(await(reader:readline()), "echo:last\n")
  T.eq(await(reader:read()), "")
  writer:close()
  server:close()
  await(server:wait_closed())
  T.ok(not exists(path), "the socket file was removed")
  os.remove(dir)
end)

T.test("a stale socket file is replaced; connecting to a missing one is ENOENT", function()
  local dir = tmpdir()
  local path = dir .. "/s.sock"
  local s1 = await(asyncio.start_unix_server(function() end, path))
  -- a crashed server leaves its file: simulate by starting a second one on it
  local s2 = await(asyncio.start_unix_server(async(function(r, w) w:write("two"); w:close() end), path))
  local reader = await(asyncio.open_unix_connection(path))
  T.eq(await(reader:read()), "two")
  s2:close()
  s1:close()
  local ok, err = pcall(await, asyncio.open_unix_connection(dir .. "/none.sock"))
  T.ok(not ok and asyncio.OSError:is(err) and err.code == "ENOENT", tostring(err))
  T.ok(tostring(err):find(dir .. "/none.sock", 1, true), tostring(err))
  os.remove(dir)
end)

T.test("Unix socket options are checked", function()
  local ok, err = pcall(asyncio.open_unix_connection, "/x", {limt = 1})
  T.ok(not ok and tostring(err):find("bad option 'limt' to 'open_unix_connection' (unknown option; accepted: limit, server_hostname, ssl, ssl_handshake_timeout)", 1, true), tostring(err))
  ok, err = pcall(asyncio.start_unix_server, function() end, 42)
  T.ok(not ok and tostring(err):find("bad argument #2 to 'start_unix_server' (socket path string expected, got number)", 1, true), tostring(err))
end)

-- ---------------------------------------------------------------- UDP

-- A protocol that records what happens to it.
local function recorder()
  local p = {events = {}, got = asyncio.Future()}
  function p:connection_made(t) self.transport = t; self.events[#self.events + 1] = "made" end
  function p:datagram_received(data, addr)
    self.events[#self.events + 1] = "data:" .. data
    if not self.got:done() then self.got:set_result(data, addr) end
  end
  function p:error_received(err) self.events[#self.events + 1] = "error:" .. err.code end
  function p:connection_lost(err)
    self.events[#self.events + 1] = "lost:" .. tostring(err)
    if self.lost then self.lost:set_result(err) end
  end
  return p
end

T.test("UDP: an echo endpoint and a connected client", function()
  local loop = asyncio.get_running_loop()
  local server = await(loop:create_datagram_endpoint({
    datagram_received = function(self, data, addr) self.t:sendto(data:upper(), addr) end,
    connection_made = function(self, t) self.t = t end,
  }, {local_addr = {"127.0.0.1", 0}}))
  local addr = server:get_extra_info("sockname")
  T.eq(addr.host, "127.0.0.1")
  T.ok(addr.port > 0)
  local p = recorder()
  local transport, proto = await(loop:create_datagram_endpoint(function() return p end,
    {remote_addr = {"localhost", addr.port}}))
  T.ok(proto == p and p.transport == transport)
  T.eq(transport:get_extra_info("peername").port, addr.port)
  transport:sendto("ping")
  local data, from = await(p.got)
  T.eq(data, "PING")
  T.eq(from.port, addr.port)
  T.eq(from[1], "127.0.0.1")
  p.lost = asyncio.Future()
  transport:close()
  T.eq(transport:is_closing(), true)
  T.eq(await(p.lost), nil)
  T.eq(p.events, {"made", "data:PING", "lost:nil"})
  local ok, err = pcall(transport.sendto, transport, "x")
  T.ok(not ok and tostring(err):find("attempt to use a closed transport", 1, true), tostring(err))
  server:close()
end)

T.test("UDP: connection_lost is called soon after close() or abort(), as Python's call_soon", function()
  local loop = asyncio.get_running_loop()
  for _, how in ipairs({"close", "abort"}) do
    local p = recorder()
    local transport = await(loop:create_datagram_endpoint(p, {local_addr = {"127.0.0.1", 0}}))
    transport[how](transport)
    T.eq(p.events, {"made"}, how .. ": not during " .. how .. "()")
    await(asyncio.sleep(0))
    T.eq(p.events, {"made", "lost:nil"}, how .. ": one loop iteration later")
    await(asyncio.sleep(0.01))
    T.eq(p.events, {"made", "lost:nil"}, how .. ": and only once")
  end
end)

T.test("UDP: sendto to an address; several datagrams keep their boundaries", function()
  local loop = asyncio.get_running_loop()
  local q = asyncio.Queue()
  local rx <close> = await(loop:create_datagram_endpoint({
    datagram_received = function(_, data) q:put_nowait(data) end,
  }, {local_addr = {"127.0.0.1", 0}}))
  local port = rx:get_extra_info("sockname").port
  local tx <close> = await(loop:create_datagram_endpoint({}, {family = "inet"}))
  for i = 1, 5 do tx:sendto(("datagram %d"):format(i), {"127.0.0.1", port}) end
  tx:sendto("", {host = "127.0.0.1", port = port})  -- an empty datagram is one too
  for i = 1, 5 do T.eq(await(q:get()), ("datagram %d"):format(i)) end
  T.eq(await(q:get()), "")
  local ok, err = pcall(tx.sendto, tx, "x")
  T.ok(not ok and tostring(err):find("an address is needed", 1, true), tostring(err))
  ok, err = pcall(tx.sendto, tx, "x", {"localhost", port})
  T.ok(not ok and tostring(err):find("not a numeric IP address", 1, true), tostring(err))
end)

T.test("UDP: a refused port is reported to error_received", function()
  local loop = asyncio.get_running_loop()
  -- a port nobody listens on: bind one, note it, close it
  local tmp = await(loop:create_datagram_endpoint({}, {local_addr = {"127.0.0.1", 0}}))
  local dead = tmp:get_extra_info("sockname").port
  tmp:close()
  local errors = asyncio.Queue()
  local t <close> = await(loop:create_datagram_endpoint({
    error_received = function(_, err) errors:put_nowait(err) end,
  }, {remote_addr = {"127.0.0.1", dead}}))
  t:sendto("anyone?")
  await(asyncio.sleep(0.01))
  t:sendto("anyone?")  -- the ICMP answer to the first makes this one (or a read) fail
  local err = await(asyncio.wait_for(errors:get(), 5))
  T.ok(asyncio.OSError:is(err) and err.code == "ECONNREFUSED", tostring(err))
end)

T.test("UDP: an error in a protocol method is printed and the endpoint goes on", function()
  local loop = asyncio.get_running_loop()
  local q = asyncio.Queue()
  local rx <close> = await(loop:create_datagram_endpoint({
    datagram_received = function(_, data)
      if data == "bad" then error("protocol bug") end
      q:put_nowait(data)
    end,
  }, {local_addr = {"127.0.0.1", 0}}))
  local port = rx:get_extra_info("sockname").port
  local tx <close> = await(loop:create_datagram_endpoint({}, {remote_addr = {"127.0.0.1", port}}))
  tx:sendto("bad")
  tx:sendto("good")
  T.eq(await(q:get()), "good")
end)

T.test("UDP options are checked", function()
  local loop = asyncio.get_running_loop()
  local ok, err = pcall(loop.create_datagram_endpoint, loop, {}, {local_adr = {"127.0.0.1", 0}})
  T.ok(not ok and tostring(err):find("bad option 'local_adr' to 'create_datagram_endpoint' (unknown option; accepted: allow_broadcast, family, local_addr, remote_addr, reuse_port)", 1, true), tostring(err))
  ok, err = pcall(loop.create_datagram_endpoint, loop, 42)
  T.ok(not ok and tostring(err):find("protocol table or factory function expected", 1, true), tostring(err))
  ok, err = pcall(await, loop:create_datagram_endpoint({}, {local_addr = "127.0.0.1:0"}))
  T.ok(not ok and tostring(err):find("bad option 'local_addr' to 'create_datagram_endpoint' ({host, port} expected", 1, true), tostring(err))
end)

-- ---------------------------------------------------------------- getaddrinfo

T.test("getaddrinfo resolves names and numbers into Python's 5-tuples", function()
  local infos = await(asyncio.getaddrinfo("localhost", 8080, {family = "inet", type = "stream"}))
  T.ok(#infos >= 1)
  local e = infos[1]
  T.eq(e.family, asyncio.socket.AF_INET)
  T.eq(e.type, asyncio.socket.SOCK_STREAM)
  T.eq(e.proto, asyncio.socket.IPPROTO_TCP)
  T.eq(e.sockaddr.host, "127.0.0.1")
  T.eq(e.sockaddr.port, 8080)
  T.eq(e[1], e.family)
  T.eq(e[5], e.sockaddr)
  infos = await(asyncio.getaddrinfo("::1", "53", {type = asyncio.socket.SOCK_DGRAM}))
  T.eq(infos[1].family, asyncio.socket.AF_INET6)
  T.eq(infos[1].sockaddr.host, "::1")
  T.eq(infos[1].proto, asyncio.socket.IPPROTO_UDP)
  local ok, err = pcall(await, asyncio.getaddrinfo("no-such-host.invalid", 80))
  T.ok(not ok and asyncio.OSError:is(err), tostring(err))
  T.ok(err.code == "EAI_NONAME" or err.code == "EAI_AGAIN", err.code)
  T.eq(err.host, "no-such-host.invalid")
  ok, err = pcall(asyncio.getaddrinfo, "localhost", 80, {family = "ipx"})
  T.ok(not ok and tostring(err):find([[bad option 'family' to 'getaddrinfo' (an integer or one of "inet", "inet6", "unspec" expected, got ipx)]], 1, true), tostring(err))
  ok, err = pcall(asyncio.getaddrinfo, "localhost", 80, {famly = "inet"})
  T.ok(not ok and tostring(err):find("bad option 'famly' to 'getaddrinfo' (unknown option; accepted: family, flags, proto, type)", 1, true), tostring(err))
end)

T.done()
