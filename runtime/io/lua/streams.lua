-- streams.lua: TCP streams (asyncio.open_connection, asyncio.start_server)
-- and the error classes of all I/O (streams, subprocesses, files).
--
-- The streams themselves are native (runtime/io/stream.cpp, asyncio._stream):
-- reader and writer methods that wait return futures, so
-- `await(reader:readline())` suspends only when the data is not buffered yet.
-- This file adds the names to asyncio, the error classes, and the methods
-- that are simplest in Lua.
local asyncio = ...

local await = asyncio.await

-- OSError: an error of the operating system, raised by every I/O operation.
-- tostring(err) is its message, "ENOENT: no such file or directory: /x/y";
-- fields: code ("ENOENT"), errno (2), and what it concerns (path, or
-- address/host/port for network operations).
local OSError = asyncio.Error:extend("OSError")
OSError.__tostring = function(e) return tostring(rawget(e, "message")) end
asyncio.OSError = OSError

-- IncompleteReadError: EOF came before readexactly(n) or readuntil(sep)
-- could complete; `partial` holds the bytes read, `expected` the count
-- (nil for readuntil).
asyncio.IncompleteReadError = asyncio.Error:extend("IncompleteReadError")

-- LimitOverrunError: readuntil/readline found no separator within the
-- stream's limit (64 KiB unless open_connection/start_server got {limit=}).
asyncio.LimitOverrunError = asyncio.Error:extend("LimitOverrunError")

local native = require("asyncio._stream")
local async, format = asyncio.async, string.format

-- Checks an options table (asyncio._check_options): nil or a table whose
-- keys are all in `accepted` (a set); returns it (or an empty table).
local check_options_shared = asyncio._check_options
local function check_options(fname, opts, accepted, argn)
  check_options_shared(opts, fname, accepted, argn, 3)
  return opts or {}
end
local function set(...)
  local t = {}
  for _, k in ipairs({...}) do t[k] = true end
  return t
end

-- ---------------------------------------------------------------- TLS
-- asyncio.ssl: contexts and errors. The TLS itself (OpenSSL) is in the
-- network plugin (runtime/io/tls.cpp, asyncio._tls), loaded on first use.
local ssl = {}
asyncio.ssl = ssl

-- SSLError: a TLS failure (an OSError, as in Python), with fields code
-- ("CERTIFICATE_VERIFY_FAILED"...) and reason; SSLCertVerificationError
-- (the peer's certificate was refused) adds verify_code and verify_message.
local SSLError = OSError:extend("SSLError")
ssl.SSLError = SSLError
ssl.SSLCertVerificationError = SSLError:extend("SSLCertVerificationError")

local function tls_native() return require("asyncio._tls") end

local SSLContext = {__name = "asyncio.ssl.SSLContext"}
ssl.SSLContext = SSLContext
SSLContext.__index = function(ctx, key) return rawget(ctx, "_fields")[key] end
SSLContext.__newindex = function(_, key)
  error(format("SSLContext fields are read-only (cannot set '%s'; make a new context)", tostring(key)), 2)
end
SSLContext.__tostring = function(ctx)
  local f = rawget(ctx, "_fields")
  return format("<SSLContext verify=%s%s%s>", tostring(f.verify),
    f.cafile and (" cafile=" .. f.cafile) or "", f.certfile and (" certfile=" .. f.certfile) or "")
end

local CONTEXT_OPTS = set("cafile", "capath", "certfile", "keyfile", "verify", "check_hostname", "verify_client")

--[[
asyncio.ssl.create_context([opts]) -> an SSL context for clients and servers.
opts: cafile, capath (trusted certificates; default: the system's), certfile
and keyfile (this side's certificate chain and key, PEM; keyfile defaults to
certfile: a server needs them, a client presents them when asked), verify
(client side: verify the server's certificate, default true), check_hostname
(client side: and that it names the host, default = verify), verify_client
(server side: require a client certificate signed by cafile, default false).
--]]
function ssl.create_context(opts)
  opts = check_options("create_context", opts, CONTEXT_OPTS, 1)
  for _, k in ipairs({"cafile", "capath", "certfile", "keyfile"}) do
    if opts[k] ~= nil and type(opts[k]) ~= "string" then
      error(format("bad option '%s' to 'create_context' (path string expected, got %s)", k, type(opts[k])), 2)
    end
  end
  for _, k in ipairs({"verify", "check_hostname", "verify_client"}) do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
      error(format("bad option '%s' to 'create_context' (boolean expected, got %s)", k, type(opts[k])), 2)
    end
  end
  if opts.keyfile and not opts.certfile then
    error("bad option 'keyfile' to 'create_context' (keyfile needs certfile)", 2)
  end
  local verify = opts.verify ~= false
  local check_hostname = opts.check_hostname
  if check_hostname == nil then check_hostname = verify end
  local fields = {
    cafile = opts.cafile, capath = opts.capath, certfile = opts.certfile, keyfile = opts.keyfile,
    verify = verify, check_hostname = check_hostname, verify_client = opts.verify_client == true,
  }
  local ok, native_ctx = pcall(tls_native().new_context, fields.cafile, fields.capath, fields.certfile,
    fields.keyfile, verify, check_hostname, fields.verify_client)
  if not ok then error(native_ctx, 2) end
  fields.native = native_ctx
  return setmetatable({_fields = fields}, SSLContext)
end

-- asyncio.ssl.create_default_context(): a client context that verifies
-- servers against the system's certificates (what ssl = true uses).
local default_context
function ssl.create_default_context()
  if default_context == nil then default_context = ssl.create_context() end
  return default_context
end

local function check_context(fname, v, what)
  if getmetatable(v) ~= SSLContext then
    error(format("bad option '%s' to '%s' (SSLContext expected%s, got %s)", what, fname,
      fname == "open_connection" and " or true" or "", type(v) == "table" and tostring(v) or type(v)), 3)
  end
  return v
end
ssl._check_context = check_context

local DEFAULT_HANDSHAKE_TIMEOUT = 60.0  -- seconds, as Python's

-- Upgrades the connection of writer to TLS; raises SSLError (or
-- TimeoutError) and closes the connection when the handshake fails.
local function start_tls(writer, ctx, server_side, hostname, timeout)
  local fut = tls_native().start_tls(writer, rawget(ctx, "_fields").native, server_side, hostname)
  local ok, err = pcall(await, asyncio.wait_for(fut, timeout or DEFAULT_HANDSHAKE_TIMEOUT))
  if ok then return end
  writer:close()
  if asyncio.TimeoutError:is(err) then
    err = asyncio.TimeoutError(format("SSL handshake is taking longer than %s seconds: aborting the connection",
      tostring(timeout or DEFAULT_HANDSHAKE_TIMEOUT)))
  end
  error(err, 0)
end

local function check_timeout(fname, v)
  if v ~= nil and (type(v) ~= "number" or v <= 0) then
    error(format("bad option 'ssl_handshake_timeout' to '%s' (positive number expected, got %s)", fname,
      tostring(v)), 3)
  end
  return v
end

local START_TLS_OPTS = set("server_hostname", "ssl_handshake_timeout")

-- writer:start_tls(ctx [, {server_hostname =, ssl_handshake_timeout =}]):
-- awaitable; upgrades the connection to TLS as its client (Python 3.11's
-- StreamWriter.start_tls). The reader reads plaintext from then on.
native.StreamWriter.start_tls = async(function(writer, ctx, opts)
  opts = check_options("start_tls", opts, START_TLS_OPTS, 2)
  check_context("start_tls", ctx, "ctx")
  start_tls(writer, ctx, false, opts.server_hostname, check_timeout("start_tls", opts.ssl_handshake_timeout))
end)

-- ---------------------------------------------------------------- TCP

local OPEN_OPTS = set("limit", "ssl", "server_hostname", "ssl_handshake_timeout")

local open_tls = async(function(host, port, opts, ctx)
  local reader, writer = await(native.open_connection(host, port, {limit = opts.limit}))
  local hostname = opts.server_hostname
  if hostname == nil then hostname = host end
  start_tls(writer, ctx, false, hostname, opts.ssl_handshake_timeout)
  return reader, writer
end)

--[[
asyncio.open_connection(host, port [, opts]): awaitable of reader, writer.
opts: limit (the reader's buffer limit, default 64 KiB), ssl (true: TLS
verified against the system's certificates; or an SSLContext),
server_hostname (the name the certificate must carry; default host),
ssl_handshake_timeout (seconds, default 60).
--]]
function asyncio.open_connection(host, port, opts)
  opts = check_options("open_connection", opts, OPEN_OPTS, 3)
  local ctx = opts.ssl
  if ctx == nil or ctx == false then
    if opts.server_hostname ~= nil then
      error("bad option 'server_hostname' to 'open_connection' (only meaningful with ssl)", 2)
    end
    return native.open_connection(host, port, opts.limit and {limit = opts.limit} or nil)
  end
  if ctx == true then
    ctx = ssl.create_default_context()
  else
    check_context("open_connection", ctx, "ssl")
  end
  if opts.server_hostname ~= nil and type(opts.server_hostname) ~= "string" then
    error("bad option 'server_hostname' to 'open_connection' (string expected)", 2)
  end
  check_timeout("open_connection", opts.ssl_handshake_timeout)
  return open_tls(host, port, opts, ctx)
end

local SERVER_OPTS = set("limit", "backlog", "ssl", "ssl_handshake_timeout")

-- The handler of a TLS server: the handshake, then the user's handler. A
-- failed handshake closes the connection (printed in debug mode only, as
-- Python logs it).
local function tls_handler(handler, ctx, timeout)
  return async(function(reader, writer)
    local ok, err = pcall(start_tls, writer, ctx, true, nil, timeout)
    if not ok then
      if asyncio.CancelledError:is(err) then error(err, 0) end
      if asyncio.get_running_loop():get_debug() then
        io.stderr:write("SSL handshake failed: ", tostring(err), "\n")
      end
      return
    end
    local r = handler(reader, writer)
    if asyncio.iscoroutine(r) or asyncio.isfuture(r) then return await(r) end
  end)
end

--[[
asyncio.start_server(handler, host, port [, opts]): awaitable of a server
listening on host:port (port 0: any free port, see server.port).
handler(reader, writer) runs as a task per connection. opts: limit,
backlog, ssl (an SSLContext with a certificate: a TLS server; the handler
runs once the handshake is done), ssl_handshake_timeout (seconds, default 60).
--]]
function asyncio.start_server(handler, host, port, opts)
  opts = check_options("start_server", opts, SERVER_OPTS, 4)
  local ctx = opts.ssl
  if ctx == nil or ctx == false then
    return native.start_server(handler, host, port, opts)
  end
  check_context("start_server", ctx, "ssl")
  if not tls_native().has_certificate(rawget(ctx, "_fields").native) then
    error("bad option 'ssl' to 'start_server' (the context has no certificate: create_context{certfile = ...})", 2)
  end
  if type(handler) ~= "function" and not (getmetatable(handler) or {}).__call then
    error("bad argument #1 to 'start_server' (function expected, got " .. type(handler) .. ")", 2)
  end
  check_timeout("start_server", opts.ssl_handshake_timeout)
  return native.start_server(tls_handler(handler, ctx, opts.ssl_handshake_timeout), host, port,
    {limit = opts.limit, backlog = opts.backlog})
end

-- ---------------------------------------------------------------- Unix sockets

local UNIX_OPEN_OPTS = set("limit", "ssl", "server_hostname", "ssl_handshake_timeout")

local open_unix_tls = async(function(path, opts, ctx)
  local reader, writer = await(native.open_unix_connection(path, {limit = opts.limit}))
  start_tls(writer, ctx, false, opts.server_hostname, opts.ssl_handshake_timeout)
  return reader, writer
end)

local function check_path(fname, path)
  if type(path) ~= "string" then
    error(format("bad argument #%d to '%s' (socket path string expected, got %s)",
      fname == "open_unix_connection" and 1 or 2, fname, type(path)), 3)
  end
end

--[[
asyncio.open_unix_connection(path [, opts]): awaitable of reader, writer
connected to the Unix domain socket at path. opts: limit, ssl,
server_hostname (required with ssl unless the context does not check host
names), ssl_handshake_timeout.
--]]
function asyncio.open_unix_connection(path, opts)
  opts = check_options("open_unix_connection", opts, UNIX_OPEN_OPTS, 2)
  check_path("open_unix_connection", path)
  local ctx = opts.ssl
  if ctx == nil or ctx == false then
    if opts.server_hostname ~= nil then
      error("bad option 'server_hostname' to 'open_unix_connection' (only meaningful with ssl)", 2)
    end
    return native.open_unix_connection(path, opts.limit and {limit = opts.limit} or nil)
  end
  if ctx == true then ctx = ssl.create_default_context() else check_context("open_unix_connection", ctx, "ssl") end
  check_timeout("open_unix_connection", opts.ssl_handshake_timeout)
  return open_unix_tls(path, opts, ctx)
end

local UNIX_SERVER_OPTS = set("limit", "backlog", "ssl", "ssl_handshake_timeout")

--[[
asyncio.start_unix_server(handler, path [, opts]): awaitable of a server
listening on the Unix domain socket at path (a stale socket there is
replaced; closing the server removes it). server.path is the path.
opts: limit, backlog, ssl, ssl_handshake_timeout.
--]]
function asyncio.start_unix_server(handler, path, opts)
  opts = check_options("start_unix_server", opts, UNIX_SERVER_OPTS, 3)
  check_path("start_unix_server", path)
  local ctx = opts.ssl
  if ctx ~= nil and ctx ~= false then
    check_context("start_unix_server", ctx, "ssl")
    if not tls_native().has_certificate(rawget(ctx, "_fields").native) then
      error("bad option 'ssl' to 'start_unix_server' (the context has no certificate: create_context{certfile = ...})", 2)
    end
    check_timeout("start_unix_server", opts.ssl_handshake_timeout)
    handler = tls_handler(handler, ctx, opts.ssl_handshake_timeout)
  end
  return native.start_unix_server(handler, path, {limit = opts.limit, backlog = opts.backlog})
end

-- ---------------------------------------------------------------- getaddrinfo

-- asyncio.socket: the constants of getaddrinfo and datagram endpoints
-- (Python's socket module names).
local socket = {
  AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10,
  SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3,
  IPPROTO_TCP = 6, IPPROTO_UDP = 17,
  AI_PASSIVE = 1, AI_CANONNAME = 2, AI_NUMERICHOST = 4, AI_NUMERICSERV = 0x400,
}
asyncio.socket = socket
local FAMILIES = {unspec = 0, inet = 2, inet6 = 10}
local TYPES = {stream = 1, dgram = 2, raw = 3}

local function check_enum(fname, key, v, names)
  if v == nil or math.type(v) == "integer" then return v end
  if type(v) == "string" and names[v] then return names[v] end
  local list = {}
  for k in pairs(names) do list[#list + 1] = format("%q", k) end
  table.sort(list)
  error(format("bad option '%s' to '%s' (an integer or one of %s expected, got %s)", key, fname,
    table.concat(list, ", "), tostring(v)), 3)
end

local GAI_OPTS = set("family", "type", "proto", "flags")

--[[
asyncio.getaddrinfo(host, port [, {family =, type =, proto =, flags =}]):
awaitable of an array of Python's 5-tuples {family, type, proto, canonname,
sockaddr} (also named fields; sockaddr is {host, port}), resolved on
libuv's thread pool. family: asyncio.socket.AF_INET / AF_INET6 or "inet" /
"inet6"; type: SOCK_STREAM / SOCK_DGRAM or "stream" / "dgram". An unknown
name raises an asyncio.OSError (EAI_NONAME) with .host.
--]]
function asyncio.getaddrinfo(host, port, opts)
  opts = check_options("getaddrinfo", opts, GAI_OPTS, 3)
  if host ~= nil and type(host) ~= "string" then
    error("bad argument #1 to 'getaddrinfo' (host string or nil expected, got " .. type(host) .. ")", 2)
  end
  if port ~= nil and math.type(port) ~= "integer" and type(port) ~= "string" then
    error("bad argument #2 to 'getaddrinfo' (port number, service name or nil expected, got " .. type(port) .. ")", 2)
  end
  return native.getaddrinfo(host, port ~= nil and tostring(port) or nil,
    check_enum("getaddrinfo", "family", opts.family, FAMILIES),
    check_enum("getaddrinfo", "type", opts.type, TYPES),
    opts.proto, opts.flags)
end

-- ---------------------------------------------------------------- UDP

local DGRAM_OPTS = set("local_addr", "remote_addr", "family", "reuse_port", "allow_broadcast")

-- {host, port} with host resolved to a numeric address (first result).
local function resolve_addr(fname, key, addr, family)
  if type(addr) ~= "table" then
    error(format("bad option '%s' to '%s' ({host, port} expected, got %s)", key, fname, type(addr)), 0)
  end
  local host, port = addr[1] or addr.host, addr[2] or addr.port
  if type(host) ~= "string" or math.type(port) ~= "integer" then
    error(format("bad option '%s' to '%s' ({host, port} with a host string and an integer port expected)",
      key, fname), 0)
  end
  local infos = await(native.getaddrinfo(host, tostring(port), family, TYPES.dgram, nil, nil))
  return infos[1].sockaddr
end

local datagram_endpoint = async(function(protocol, opts)
  local family = check_enum("create_datagram_endpoint", "family", opts.family, FAMILIES)
  local local_addr = opts.local_addr and resolve_addr("create_datagram_endpoint", "local_addr", opts.local_addr, family)
  local remote_addr = opts.remote_addr and resolve_addr("create_datagram_endpoint", "remote_addr", opts.remote_addr,
    family or (local_addr and (local_addr[1]:find(":", 1, true) and 10 or 2)))
  local transport = native.datagram_endpoint(protocol, local_addr, remote_addr, opts.reuse_port,
    opts.allow_broadcast, family)
  local made = protocol.connection_made
  if made then made(protocol, transport) end
  return transport, protocol
end)

--[[
loop:create_datagram_endpoint(protocol [, opts]): awaitable of transport,
protocol: a UDP socket. protocol is a table of methods (or a function
returning one, Python's protocol_factory), each called with the protocol as
self: connection_made(transport), datagram_received(data, addr) (addr is
{host, port}), error_received(err) (an asyncio.OSError), connection_lost(err)
(nil after close()). opts: local_addr ({host, port} to bind; port 0: any),
remote_addr ({host, port}: connect, so sendto(data) needs no address and
only its datagrams arrive), family ("inet" or "inet6", when neither address
is given), reuse_port, allow_broadcast. The transport has sendto(data [,
addr]), close(), abort(), is_closing(), get_write_buffer_size(),
get_extra_info("sockname" | "peername"), and is to-be-closed.
--]]
if native.Loop then
  function native.Loop.create_datagram_endpoint(loop, protocol, opts)
    opts = check_options("create_datagram_endpoint", opts, DGRAM_OPTS, 2)
    if type(protocol) == "function" then protocol = protocol() end
    if type(protocol) ~= "table" then
      error("bad argument #1 to 'create_datagram_endpoint' (protocol table or factory function expected, got "
        .. type(protocol) .. ")", 2)
    end
    return datagram_endpoint(protocol, opts)
  end
end


-- reader:lines(): an iterator for a generic `for` inside an async function,
-- giving each line without its end-of-line ("\n" or "\r\n") until EOF. The
-- iterator awaits, so it must be called from a task.
function native.StreamReader.lines(reader)
  return function()
    local line = await(reader:readline())
    if line == "" then return nil end
    if line:byte(-1) == 10 then
      line = line:sub(1, line:byte(-2) == 13 and -3 or -2)
    end
    return line
  end
end
