-- Tests for TCP streams: asyncio.open_connection, asyncio.start_server,
-- StreamReader / StreamWriter (runtime/io/stream.cpp, runtime/io/lua/streams.lua).
-- Loopback only (127.0.0.1, port 0), on the virtual clock (testlib).
local T = require("testlib")

local function now() return asyncio.get_running_loop():time() end
local function spawn(fn, ...) return asyncio.create_task(async(fn)(...)) end

-- Starts a server running handler(reader, writer); returns it and its port.
local function serve(handler, opts)
  local server = await(asyncio.start_server(async(handler), "127.0.0.1", 0, opts))
  return server, server.port
end

-- A server that echoes each line back with a prefix until EOF.
local function echo_server()
  return serve(function(reader, writer)
    for line in reader:lines() do
      writer:write("echo:" .. line .. "\n")
      await(writer:drain())
    end
    writer:close()
  end)
end

local function rss_kib()
  for line in io.lines("/proc/self/status") do
    local kib = line:match("^VmRSS:%s+(%d+)")
    if kib then return tonumber(kib) end
  end
end

local function under_asan()
  for line in io.lines("/proc/self/maps") do
    if line:find("libasan", 1, true) then return true end
  end
  return false
end

T.test("a server on port 0 reports its port; a client talks to it", function()
  local server, port = echo_server()
  T.ok(math.type(port) == "integer" and port > 0, "bound port")
  T.eq(server.host, "127.0.0.1")
  T.ok(server:is_serving())
  T.ok(tostring(server):find("<Server 127.0.0.1:" .. port .. ">", 1, true))
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  writer:write("hello\n")
  T.eq(await(reader:readline()), "echo:hello\n")
  writer:write("a\nb\n")
  await(writer:drain())
  T.eq(await(reader:readline()), "echo:a\n")
  T.eq(await(reader:readline()), "echo:b\n")
  writer:close()
  await(writer:wait_closed())
  T.eq(writer:is_closing(), true)
  server:close()
  await(server:wait_closed())
  T.eq(server:is_serving(), false)
end)

T.test("read, readexactly, readuntil, readline and at_eof", function()
  local server, port = serve(function(_, writer)
    writer:write("abcdefgh|rest of it\nline two\nno newline at the end")
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  T.eq(await(reader:readexactly(3)), "abc")
  T.eq(await(reader:read(2)), "de")
  T.eq(await(reader:readuntil("|")), "fgh|")
  T.eq(await(reader:readline()), "rest of it\n")
  T.eq(await(reader:readuntil("\n")), "line two\n")
  T.eq(await(reader:read(0)), "")
  T.eq(await(reader:readline()), "no newline at the end", "the last partial line")
  T.eq(await(reader:readline()), "", "EOF")
  T.eq(await(reader:read(10)), "", "EOF")
  T.eq(await(reader:read()), "", "EOF")
  T.eq(reader:at_eof(), true)
  writer:close()
  server:close()
end)

T.test("read() with no count reads until EOF", function()
  local chunks = {}
  for i = 1, 100 do chunks[i] = string.rep(string.char(64 + i % 26), 1000) end
  local data = table.concat(chunks)
  local server, port = serve(function(_, writer)
    for i = 1, #chunks do
      writer:write(chunks[i])
      if i % 10 == 0 then await(asyncio.sleep(0.01)) end
    end
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  T.eq(await(reader:read()), data)
  T.eq(await(reader:read(-1)), "")
  writer:close()
  server:close()
end)

T.test("readexactly at EOF raises IncompleteReadError with the partial data", function()
  local server, port = serve(function(_, writer)
    writer:write("12345")
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local err = T.raises(asyncio.IncompleteReadError, function() return await(reader:readexactly(10)) end)
  T.eq(err.partial, "12345")
  T.eq(err.expected, 10)
  T.ok(asyncio.Error:is(err))
  T.eq(tostring(err), "IncompleteReadError: 5 bytes read on a total of 10 expected bytes")
  writer:close()
  server:close()
end)

T.test("readuntil at EOF raises IncompleteReadError; over the limit LimitOverrunError", function()
  local server, port = serve(function(_, writer)
    writer:write(string.rep("x", 100) .. "|tail")
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port, {limit = 50}))
  local err = T.raises(asyncio.LimitOverrunError, function() return await(reader:readuntil("|")) end)
  T.eq(err.consumed, 100)
  T.eq(await(reader:readexactly(101)), string.rep("x", 100) .. "|", "readuntil leaves the data")
  err = T.raises(asyncio.IncompleteReadError, function() return await(reader:readuntil("|")) end)
  T.eq(err.partial, "tail")
  T.eq(err.expected, nil)
  writer:close()
  server:close()
end)

T.test("write_eof half-closes: the server reads to EOF and still answers", function()
  local server, port = serve(function(reader, writer)
    local data = await(reader:read())
    writer:write("got " .. #data .. " bytes")
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  T.eq(writer:can_write_eof(), true)
  writer:write(string.rep("z", 70000))
  writer:write_eof()
  T.eq(await(reader:read()), "got 70000 bytes")
  writer:close()
  server:close()
end)

T.test("many clients at once are served concurrently", function()
  local active, max_active = 0, 0
  local server, port = serve(function(reader, writer)
    active = active + 1
    max_active = math.max(max_active, active)
    local line = await(reader:readline())
    await(asyncio.sleep(1)) -- every handler is in flight at the same time
    writer:write(line:upper())
    await(writer:drain())
    writer:close()
    active = active - 1
  end)
  local N = 200
  local clients = {}
  for i = 1, N do
    clients[i] = async(function()
      local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
      writer:write("client " .. i .. "\n")
      return await(reader:read())
    end)()
  end
  local t0 = now()
  local replies = await(asyncio.gather(table.unpack(clients)))
  T.eq(now() - t0, 1.0, "all handlers slept at once")
  T.eq(replies.n, N)
  for i = 1, N do T.eq(replies[i], "CLIENT " .. i .. "\n") end
  T.eq(max_active, N)
  server:close()
  await(server:wait_closed())
end)

T.test("cancelling a task blocked in read leaves the connection usable", function()
  local server, port = echo_server()
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local blocked = spawn(function() return await(reader:readline()) end)
  await(asyncio.sleep(0.5))
  T.eq(blocked:done(), false)
  blocked:cancel()
  T.raises(asyncio.CancelledError, function() return await(blocked) end)
  -- The cancelled read consumed nothing; the next one gets the next line.
  writer:write("after\n")
  T.eq(await(reader:readline()), "echo:after\n")
  -- A read that times out leaves the stream usable too.
  T.raises(asyncio.TimeoutError, function() return await(asyncio.wait_for(reader:readline(), 2)) end)
  T.eq(now(), 2.5)
  writer:write("again\n")
  T.eq(await(reader:readline()), "echo:again\n")
  writer:close()
  server:close()
end)

T.test("a connection closed by <close> in a cancelled task is released", function()
  local eof = asyncio.Event()
  local server, port = serve(function(reader, writer)
    T.eq(await(reader:read()), "partial")
    eof:set()
    writer:close()
  end)
  local connected = asyncio.Event()
  local task = spawn(function()
    local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
    writer:write("partial")
    connected:set()
    await(reader:read()) -- blocks until cancelled
  end)
  await(connected:wait())
  task:cancel()
  T.raises(asyncio.CancelledError, function() return await(task) end)
  await(asyncio.wait_for(eof:wait(), 5)) -- the server saw the connection end
  server:close()
  await(server:wait_closed())
end)

T.test("two reads at once raise; a second read after a cancelled one is fine", function()
  local server, port = echo_server()
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local first = reader:readline()
  T.raises("already waiting", function() return reader:read(10) end)
  first:cancel()
  writer:write("x\n")
  T.eq(await(reader:readline()), "echo:x\n")
  writer:close()
  server:close()
end)

T.test("drain waits while the peer does not read, and resumes when it does", function()
  local start_reading = asyncio.Event()
  local received = 0
  local server, port = serve(function(reader, writer)
    await(start_reading:wait())
    while true do
      local data = await(reader:read(65536))
      if data == "" then break end
      received = received + #data
    end
    writer:close()
  end)
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local chunk = string.rep("b", 64 * 1024)
  local sent, blocked_at = 0, nil
  local drained = asyncio.Event()
  local pump = spawn(function()
    for _ = 1, 400 do -- 25 MiB: far more than the socket buffers hold
      writer:write(chunk)
      sent = sent + #chunk
      local d = writer:drain()
      if not d:done() and not blocked_at then blocked_at = sent end
      await(d)
    end
    drained:set()
  end)
  -- Nobody reads: the writer must block well before 25 MiB, and the
  -- virtual clock may jump meanwhile (the blocked write does not hold it).
  await(asyncio.sleep(10))
  T.ok(blocked_at ~= nil, "drain() had to wait")
  T.eq(pump:done(), false)
  local stuck_at = sent
  await(asyncio.sleep(10))
  T.eq(sent, stuck_at, "no progress while the peer does not read")
  T.ok(sent < 400 * #chunk)
  T.eq(now(), 20)
  start_reading:set()
  await(drained:wait())
  writer:close()
  await(asyncio.wait_for(server:wait_closed() and asyncio.sleep(0), 5))
  server:close()
  await(server:wait_closed())
  T.eq(received, 400 * #chunk)
end)

T.test("10 MB through a stream with bounded memory", function()
  local MB = 1024 * 1024
  local total = 10 * MB
  local chunk = string.rep("0123456789abcdef", 4096) -- 64 KiB
  local server, port = serve(function(_, writer)
    for _ = 1, total // #chunk do
      writer:write(chunk)
      await(writer:drain())
    end
    writer:close()
  end)
  collectgarbage()
  local base = rss_kib()
  local peak = base
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  local got, reads = 0, 0
  while true do
    local data = await(reader:read(65536))
    if data == "" then break end
    got = got + #data
    reads = reads + 1
    if reads % 16 == 0 then peak = math.max(peak, rss_kib()) end
  end
  T.eq(got, total)
  if under_asan() then
    print("    (RSS bound not checked: AddressSanitizer's quarantine holds freed memory)")
  else
    T.ok(peak - base < 8 * 1024, ("RSS grew by %d KiB"):format(peak - base))
  end
  writer:close()
  server:close()
end)

T.test("connection refused is an OSError value", function()
  -- Find a port nobody listens on: bind one, then close it.
  local server, port = echo_server()
  server:close()
  await(server:wait_closed())
  local ok, err = pcall(await, asyncio.open_connection("127.0.0.1", port))
  T.eq(ok, false)
  T.ok(asyncio.OSError:is(err), "an OSError")
  T.ok(asyncio.Error:is(err))
  T.eq(err.code, "ECONNREFUSED")
  T.eq(err.errno, 111)
  T.eq(tostring(err), "ECONNREFUSED: connection refused: 127.0.0.1:" .. port)
  T.eq(err.host, "127.0.0.1")
  T.eq(err.port, tostring(port))
end)

T.test("a name that does not resolve is an OSError value", function()
  local err = T.raises(asyncio.OSError, function()
    return await(asyncio.open_connection("no-such-host.invalid", 80))
  end)
  T.ok(err.code:match("^EAI_"), err.code)
  T.ok(tostring(err):find("no-such-host.invalid", 1, true))
end)

T.test("localhost is resolved through the resolver", function()
  local server, port = echo_server()
  local reader, writer <close> = await(asyncio.open_connection("localhost", port))
  writer:write("hi\n")
  T.eq(await(reader:readline()), "echo:hi\n")
  server:close()
end)

T.test("cancelling open_connection while it resolves or connects", function()
  local server, port = echo_server()
  for _, host in ipairs({"localhost", "127.0.0.1"}) do
    for spins = 0, 3 do
      local t = asyncio.create_task(async(function() return await(asyncio.open_connection(host, port)) end)())
      for _ = 1, spins do await(asyncio.sleep(0)) end
      t:cancel()
      local ok, err = pcall(await, t)
      if ok then
        local _, writer = t:result()
        writer:close() -- it connected before the cancel
      else
        T.ok(asyncio.CancelledError:is(err), tostring(err))
      end
    end
  end
  -- Still serving, nothing stuck.
  local reader, writer <close> = await(asyncio.open_connection("localhost", port))
  writer:write("ok\n")
  T.eq(await(reader:readline()), "echo:ok\n")
  server:close()
end)

T.test("IPv6 loopback, when the host has it", function()
  local ok, server = pcall(await, asyncio.start_server(async(function(reader, writer)
    writer:write(await(reader:readline()))
    writer:close()
  end), "::1", 0))
  if not ok then
    print("    (skipped: no IPv6 loopback here: " .. tostring(server) .. ")")
    return
  end
  T.eq(server.host, "::1")
  local reader, writer <close> = await(asyncio.open_connection("::1", server.port))
  writer:write("six\n")
  T.eq(await(reader:readline()), "six\n")
  T.eq(writer:get_extra_info("peername").host, "::1")
  server:close()
end)

T.test("a handler that is a plain function may return nothing", function()
  local got = asyncio.Future()
  local server = await(asyncio.start_server(function(reader, writer)
    got:set_result(true)
    writer:close()
  end, "127.0.0.1", 0))
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", server.port))
  T.eq(await(got), true)
  T.eq(await(reader:read()), "")
  server:close()
end)

T.test("a peer that resets the connection: reads raise ECONNRESET", function()
  local result = asyncio.Future()
  local server, port = serve(function(reader, writer)
    writer:write("ready")
    local ok, err = pcall(await, reader:read())
    result:set_result(ok, err)
    writer:close()
  end)
  -- A peer that closes with SO_LINGER 0 sends a RST (once the server has
  -- accepted: a connection reset in the accept queue just reads as EOF).
  local proc = await(asyncio.create_subprocess_exec("/usr/bin/python3", "-c", [[
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
assert s.recv(5) == b"ready"
s.sendall(b"x")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
]], tostring(port)))
  T.eq(await(proc:wait()), 0)
  local ok, err = await(asyncio.wait_for(result, 5))
  T.eq(ok, false)
  T.ok(asyncio.OSError:is(err))
  T.eq(err.code, "ECONNRESET")
  T.eq(tostring(err), "ECONNRESET: connection reset by peer")
  server:close()
end)

T.test("writing to a closed peer: drain raises, write never blocks", function()
  local server, port = serve(function(_, writer) writer:close() end)
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
  T.eq(await(reader:read()), "")
  local err
  for _ = 1, 100 do
    writer:write(string.rep("w", 1000))
    local ok, e = pcall(await, writer:drain())
    if not ok then err = e break end
    await(asyncio.sleep(0.01))
  end
  T.ok(asyncio.OSError:is(err), "drain failed")
  T.ok(err.code == "EPIPE" or err.code == "ECONNRESET", err.code)
  writer:write("ignored") -- the connection is lost: dropped, no error
  server:close()
end)

T.test("use after close raises; close is idempotent; closing twice is fine", function()
  local server, port = echo_server()
  local reader, writer = await(asyncio.open_connection("127.0.0.1", port))
  writer:close()
  writer:close()
  T.raises("attempt to use a closed stream", function() writer:write("x") end)
  T.raises("attempt to use a closed stream", function() return writer:drain() end)
  T.eq(await(reader:read()), "", "the reader sees EOF")
  await(writer:wait_closed())
  T.ok(tostring(writer):find("closed", 1, true))
  server:close()
  server:close()
  await(server:wait_closed())
  T.raises("attempt to use a closed server", function() return server:serve_forever() end)
end)

T.test("a writer in a to-be-closed variable is closed at the end of the block", function()
  local server, port = echo_server()
  local w
  do
    local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
    w = writer
    writer:write("x\n")
    T.eq(await(reader:readline()), "echo:x\n")
  end
  T.eq(w:is_closing(), true)
  do
    local s <close> = server
  end
  T.eq(server:is_serving(), false)
end)

T.test("a connection nobody references is closed by the garbage collector", function()
  local closed = asyncio.Event()
  local server, port = serve(function(reader, writer)
    T.eq(await(reader:read()), "")
    closed:set()
    writer:close()
  end)
  do
    local _, _ = await(asyncio.open_connection("127.0.0.1", port))
  end
  await(asyncio.sleep(0.1))
  collectgarbage()
  collectgarbage()
  await(asyncio.wait_for(closed:wait(), 5))
  server:close()
end)

T.test("get_extra_info gives peername and sockname", function()
  local server_peer
  local server, port = serve(function(_, writer)
    server_peer = writer:get_extra_info("peername")
    writer:close()
  end)
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
  await(reader:read())
  local peer = writer:get_extra_info("peername")
  local sock = writer:get_extra_info("sockname")
  T.eq(peer.host, "127.0.0.1")
  T.eq(peer.port, port)
  T.eq(peer[1], "127.0.0.1")
  T.eq(peer[2], port)
  T.eq(server_peer.port, sock.port)
  T.eq(writer:get_extra_info("nonsense", "default"), "default")
end)

T.test("serve_forever returns when the server is closed; cancelling it closes the server", function()
  local server = await(asyncio.start_server(async(function(_, w) w:close() end), "127.0.0.1", 0))
  local forever = spawn(function() await(server:serve_forever()) return "returned" end)
  await(asyncio.sleep(1))
  T.eq(forever:done(), false)
  server:close()
  T.eq(await(forever), "returned")

  local server2 = await(asyncio.start_server(async(function(_, w) w:close() end), "127.0.0.1", 0))
  local forever2 = spawn(function() await(server2:serve_forever()) end)
  await(asyncio.sleep(1))
  forever2:cancel()
  T.raises(asyncio.CancelledError, function() return await(forever2) end)
  await(asyncio.sleep(0))
  T.eq(server2:is_serving(), false)
  await(server2:wait_closed())
end)

T.test("server:wait_closed waits for the connections to close", function()
  local release = asyncio.Event()
  local server, port = serve(function(_, writer)
    await(release:wait())
    writer:close()
  end)
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
  await(asyncio.sleep(0.1))
  server:close()
  local waiting = spawn(function() await(server:wait_closed()) end)
  await(asyncio.sleep(1))
  T.eq(waiting:done(), false, "a connection is still open")
  release:set()
  await(asyncio.wait_for(waiting, 5))
  T.eq(await(reader:read()), "")
end)

T.test("binding a port in use is an OSError", function()
  local server, port = echo_server()
  local err = T.raises(asyncio.OSError, function()
    return await(asyncio.start_server(async(function() end), "127.0.0.1", port))
  end)
  T.eq(err.code, "EADDRINUSE")
  T.eq(tostring(err), "EADDRINUSE: address already in use: 127.0.0.1:" .. port)
  server:close()
end)

T.test("argument errors are raised at once", function()
  T.raises("bad argument #1 to 'start_server'", function() return asyncio.start_server(42, "127.0.0.1", 0) end)
  T.raises("bad argument #2 to 'open_connection'", function() return asyncio.open_connection("127.0.0.1") end)
  local server, port = echo_server()
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", port))
  T.raises("bad argument #1 to 'readexactly'", function() return reader:readexactly(-1) end)
  T.raises("bad argument #1 to 'write'", function() writer:write({}) end)
  T.raises("separator", function() return reader:readuntil("") end)
  server:close()
end)

-- Every T.test runs on the virtual clock: check the real one once.
local real_ok, real_err = pcall(asyncio.run, async(function()
  local server = await(asyncio.start_server(async(function(reader, writer)
    writer:write(await(reader:readline()))
    writer:close()
  end), "127.0.0.1", 0))
  local reader, writer <close> = await(asyncio.open_connection("127.0.0.1", server.port))
  writer:write("real\n")
  local line = await(asyncio.wait_for(reader:readline(), 5))
  server:close()
  await(server:wait_closed())
  return line
end)(), {clock = "real"})
T.test("streams work on the real clock too", function()
  T.ok(real_ok, tostring(real_err))
  T.eq(real_err, "real\n")
end)

T.done()
