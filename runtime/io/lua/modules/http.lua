-- http.lua: require("asyncio.http"), an HTTP client and server.
--
-- Client (aiohttp's shape, on libcurl's multi interface; see
-- runtime/io/http_client.h for how curl runs on the loop):
--
--   local session <close> = http.ClientSession({timeout = 10})
--   local resp <close> = await(session:get("http://127.0.0.1:8080/json"))
--   print(resp.status, resp.headers["content-type"])
--   local data = await(resp:json())
--
-- A session keeps a pool of connections (one curl multi handle), so requests
-- to the same host reuse them. session:request(method, url, opts) and the
-- shortcuts get/post/put/patch/delete/head are coroutine functions: they
-- return once the response head (status and headers) has arrived; the body
-- is read with resp:text(), resp:json(), resp:read(n) or resp:iter_chunked(n)
-- (the last two stream: at most about 1 MiB is buffered unread).
--
-- Request options: headers (table), body (string), json (a value sent as
-- JSON), params (table, added to the URL's query), timeout (seconds on the
-- loop clock for the whole request, body included; false: none; default the
-- session's, 300), redirects (false: don't follow; a number: the most to
-- follow; default 10), raise_for_status (boolean).
--
-- Errors: transport failures raise http.ClientConnectionError (a
-- http.ClientError) whose tostring reads "ECONNREFUSED: connection refused:
-- http://127.0.0.1:1/", with fields code, url, method; a timeout raises
-- asyncio.TimeoutError; HTTP 4xx/5xx are ordinary responses unless
-- raise_for_status is asked for (http.HTTPError, with .status).
-- Cancelling the task that waits on a request aborts the transfer and frees
-- its connection. Under the virtual clock, time does not jump while a
-- transfer's sockets are busy or it is still connecting; once they have been
-- quiet for the loop's autojump grace, it does (so a server in this process
-- that sleeps on the loop clock costs no real time).
--
-- Server (h2o's HTTP/1.1 on the loop; see runtime/io/http_server.h):
--
--   local server <close> = await(http.serve(async(function(req)
--     return {status = 200, json = {path = req.path}}
--   end), {host = "127.0.0.1", port = 0}))
--   print(server.port)
--   await(server:serve_forever())
--
-- The handler runs as its own task per request and gets a request table
-- {method, path, query, args, headers, body, version, remote} (header names
-- lower-case). It returns a string (200, text/plain), nil (204), or a table
-- {status =, headers =, body =, json =}, where body may also be a function
-- that returns the next chunk (it may await) or nil at the end: the body is
-- then streamed (chunked), one chunk in flight at a time (the head goes out
-- with the first chunk). An error in the handler is printed and answered
-- with a 500.
local asyncio = ...
local native = require("asyncio._http")
local json = require("asyncio.json")

local async, await = asyncio.async, asyncio.await
local CancelledError, TimeoutError = asyncio.CancelledError, asyncio.TimeoutError
local concat, format = table.concat, string.format

local http = {}
http.json = json

-- ---------------------------------------------------------------- errors

local function message_tostring(e) return tostring(rawget(e, "message")) end

-- ClientError: base of the client's errors (fields code, url, method).
local ClientError = asyncio.Error:extend("ClientError")
ClientError.__tostring = message_tostring
-- ClientConnectionError: the request could not be completed (refused,
-- reset, name not found, malformed response, session closed...).
local ClientConnectionError = ClientError:extend("ClientConnectionError")
ClientConnectionError.__tostring = message_tostring
-- TooManyRedirects: more redirects than allowed.
local TooManyRedirects = ClientError:extend("TooManyRedirects")
TooManyRedirects.__tostring = message_tostring
-- HTTPError: raise_for_status() on a 4xx/5xx response (fields status,
-- reason, url, method).
local HTTPError = ClientError:extend("HTTPError")
HTTPError.__tostring = message_tostring

http.ClientError = ClientError
http.ClientConnectionError = ClientConnectionError
http.TooManyRedirects = TooManyRedirects
http.HTTPError = HTTPError

local function transfer_error(code, msg, method, url)
  if code == "TIMEOUT" then
    return TimeoutError(msg, {url = url, method = method})
  end
  local cls = code == "ETOOMANYREDIRECTS" and TooManyRedirects or ClientConnectionError
  return cls(code .. ": " .. msg, {code = code, url = url, method = method})
end

-- Awaits fut, a wakeup of transfer t; if the wait fails (the task was
-- cancelled), aborts the transfer first, which frees its connection.
local function wait_on(t, fut)
  local ok, err = pcall(await, fut)
  if not ok then
    t:abort()
    error(err, 0)
  end
end

-- ---------------------------------------------------------------- helpers

local function urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return format("%%%02X", c:byte()) end))
end

local function urldecode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- "a=1&b=x%20y" -> {a = "1", b = "x y"} (a repeated name keeps the last value)
local function parse_query(q)
  local args = {}
  if q == nil or q == "" then return args end
  if type(q) ~= "string" then
    error("bad argument #1 to 'parse_query' (string expected, got " .. type(q) .. ")", 2)
  end
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    args[urldecode(k)] = urldecode(v)
  end
  return args
end
http.parse_query = parse_query

-- {b = 2, a = 1} -> "a=1&b=2" (sorted, so the URL is deterministic)
local function encode_query(params)
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = params[k]
    if v == nil then v = params[tonumber(k)] end
    parts[#parts + 1] = urlencode(k) .. "=" .. urlencode(v)
  end
  return concat(parts, "&")
end
http.encode_query = encode_query

-- Strict options (asyncio._check_options): accepted is a set.
local function check_options(fname, opts, accepted, argn)
  asyncio._check_options(opts, fname, accepted, argn, 4)
  return opts or {}
end
local function set(...)
  local t = {}
  for _, k in ipairs({...}) do t[k] = true end
  return t
end

local function check_opts(opts, fname, accepted, argn)
  if accepted then return check_options(fname, opts, accepted, argn or 1) end
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument to '%s' (options table expected, got %s)", fname, type(opts)), 3)
  end
  return opts or {}
end

-- ---------------------------------------------------------------- TLS options

-- The TLS settings of a session or request options table: ssl (an
-- asyncio.ssl context, or false: no verification, as aiohttp), cafile,
-- verify (false: no verification; warns once), cert (a client certificate:
-- a PEM file with the key, or {certfile, keyfile}). Returns nil if none is
-- given, else {cafile, capath, certfile, keyfile, verify, check_hostname}
-- over `base` (the session's).
local warned_no_verify = false
local function tls_settings(opts, fname, base)
  local ctx, cafile, verify, cert = opts.ssl, opts.cafile, opts.verify, opts.cert
  if ctx == nil and cafile == nil and verify == nil and cert == nil then return base end
  local t = {}
  for k, v in pairs(base or {}) do t[k] = v end
  if ctx == false then
    t.verify = false
  elseif ctx ~= nil then
    asyncio.ssl._check_context(fname, ctx, "ssl")
    t.cafile, t.capath, t.certfile, t.keyfile = ctx.cafile, ctx.capath, ctx.certfile, ctx.keyfile
    t.verify, t.check_hostname = ctx.verify, ctx.check_hostname
  end
  if cafile ~= nil then
    if type(cafile) ~= "string" then
      error(format("bad option 'cafile' to '%s' (path string expected, got %s)", fname, type(cafile)), 3)
    end
    t.cafile = cafile
  end
  if verify ~= nil then
    if type(verify) ~= "boolean" then
      error(format("bad option 'verify' to '%s' (boolean expected, got %s)", fname, type(verify)), 3)
    end
    t.verify = verify
  end
  if cert ~= nil then
    if type(cert) == "string" then
      t.certfile, t.keyfile = cert, nil
    elseif type(cert) == "table" and type(cert[1] or cert.certfile) == "string" then
      t.certfile = cert[1] or cert.certfile
      t.keyfile = cert[2] or cert.keyfile
      if t.keyfile ~= nil and type(t.keyfile) ~= "string" then
        error(format("bad option 'cert' to '%s' (keyfile path string expected)", fname), 3)
      end
    else
      error(format("bad option 'cert' to '%s' (a PEM file path or {certfile, keyfile} expected, got %s)",
        fname, type(cert)), 3)
    end
  end
  if t.verify == false and not warned_no_verify then
    warned_no_verify = true
    io.stderr:write("luasync: warning: TLS certificate verification is disabled (verify = false):"
      .. " the connection is not secure\n")
    io.stderr:flush()
  end
  return t
end

local function header_value(v, name)
  v = tostring(v)
  if v:find("[\r\n]") or name:find("[\r\n:]") then
    error(format("invalid header %q (names and values cannot contain line breaks)", name), 4)
  end
  return v
end

-- ---------------------------------------------------------------- Response

local Response = {__name = "asyncio.http.ClientResponse"}
Response.__index = Response

function Response.__tostring(r)
  return format("<ClientResponse(%s) [%d %s]>", r.url, r.status, r.reason)
end

local function read_some(self, n)
  local t = self._t
  if t == nil then error("attempt to read a released response", 3) end
  while true do
    local kind, a, b = t:read(n)
    if kind == "data" then return a end
    if kind == "eof" then return nil end
    if kind == "wait" then
      wait_on(t, a)
    else
      error(transfer_error(a, b, self.method, self.url), 0)
    end
  end
end

-- resp:read([n]): awaitable of up to n bytes of the body as they arrive, nil
-- at the end; without n, the whole (rest of the) body.
Response.read = async(function(self, n)
  if n == nil then return read_some(self, -1) or "" end
  if math.type(n) ~= "integer" or n <= 0 then
    error("bad argument #1 to 'read' (positive integer expected, got " .. tostring(n) .. ")", 2)
  end
  return read_some(self, n)
end)

-- resp:text(): awaitable of the whole body (kept: text() and json() may be
-- called again).
Response.text = async(function(self)
  if self._body == nil then self._body = read_some(self, -1) or "" end
  return self._body
end)

-- resp:json(): awaitable of the body decoded as JSON (json.JSONDecodeError
-- if it is not JSON).
Response.json = async(function(self)
  local body = await(self:text())
  local ok, v = pcall(json.decode, body)
  if not ok then
    if json.JSONDecodeError:is(v) then
      v.message = v.message .. " (body of " .. self.method .. " " .. self.url .. ")"
      v.url = self.url
    end
    error(v, 0)
  end
  return v
end)

-- for chunk in resp:iter_chunked(n) do ... end: the body in pieces of at
-- most n bytes as they arrive (the loop body may await; so does the loop).
function Response:iter_chunked(n)
  n = n or 65536
  if math.type(n) ~= "integer" or n <= 0 then
    error("bad argument #1 to 'iter_chunked' (positive integer expected, got " .. tostring(n) .. ")", 2)
  end
  return function() return read_some(self, n) end
end

-- resp:raise_for_status(): raises http.HTTPError for a 4xx/5xx status.
function Response:raise_for_status()
  if self.status >= 400 then
    error(HTTPError(format("HTTP %d %s: %s %s", self.status, self.reason, self.method, self.url),
      {status = self.status, reason = self.reason, url = self.url, method = self.method,
       code = "HTTP" .. self.status}), 2)
  end
  return self
end

-- resp:release() (also resp:close() and <close>): done with the response;
-- a body not read to the end is dropped with its connection.
function Response:release()
  local t = self._t
  if t ~= nil then
    if not t:finished() then t:abort() end
    self._t = nil
  end
end
Response.close = Response.release
Response.__close = Response.release

-- ---------------------------------------------------------------- ClientSession

local ClientSession = {__name = "asyncio.http.ClientSession"}
ClientSession.__index = ClientSession

function ClientSession.__tostring(s)
  return format("<ClientSession%s>", s._s:closed() and " closed" or "")
end

--[[
http.ClientSession([opts]) -> session, for a to-be-closed variable.
opts: headers (sent with every request), timeout (default per request,
seconds, default 300; false: none), raise_for_status, base_url (prefix for
relative URLs), max_connections (default 100), max_connections_per_host
(default 0: no limit).
--]]
local SESSION_OPTS = set("headers", "timeout", "raise_for_status", "base_url", "max_connections",
  "max_connections_per_host", "ssl", "cafile", "verify", "cert")

function http.ClientSession(opts)
  opts = check_opts(opts, "ClientSession", SESSION_OPTS)
  local timeout = opts.timeout
  if timeout == nil then timeout = 300 end
  if timeout ~= false and (type(timeout) ~= "number" or timeout < 0) then
    error("bad option 'timeout' to 'ClientSession' (non-negative number or false expected)", 2)
  end
  local s = native.session({
    max_connections = opts.max_connections,
    max_connections_per_host = opts.max_connections_per_host,
  })
  local headers = {}
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  return setmetatable({
    _s = s,
    timeout = timeout,
    headers = headers,
    base_url = opts.base_url,
    raise_for_status = opts.raise_for_status,
    _tls = tls_settings(opts, "ClientSession"),
  }, ClientSession)
end

-- session:close() (also <close>): aborts requests in flight, closes the
-- connections. Closing twice is harmless.
function ClientSession:close() self._s:close() end
ClientSession.__close = ClientSession.close

function ClientSession:closed() return self._s:closed() end

-- session:stats() -> {requests = total made, active = in flight, sockets = open}
function ClientSession:stats() return self._s:stats() end

local REQUEST_OPTS = set("headers", "body", "data", "json", "params", "timeout", "redirects",
  "raise_for_status", "ssl", "cafile", "verify", "cert")

--[[
session:request(method, url [, opts]): awaitable of a response, once its
status and headers have arrived. See the top of this file for opts.
--]]
ClientSession.request = async(function(self, method, url, opts)
  if getmetatable(self) ~= ClientSession then
    error("bad self to 'request' (ClientSession expected; call it with ':')", 2)
  end
  if type(method) ~= "string" then
    error("bad argument #1 to 'request' (method string expected, got " .. type(method) .. ")", 2)
  end
  if type(url) ~= "string" then
    error("bad argument #2 to 'request' (URL string expected, got " .. type(url) .. ")", 2)
  end
  opts = check_opts(opts, "request", REQUEST_OPTS, 3)
  local tls = tls_settings(opts, "request", self._tls)
  method = method:upper()
  if self.base_url and not url:find("^%a[%w+.-]*://") then url = self.base_url .. url end
  if opts.params ~= nil then
    local q = encode_query(opts.params)
    if q ~= "" then url = url .. (url:find("?", 1, true) and "&" or "?") .. q end
  end

  -- Headers: the session's, then the request's (names compare without case).
  local merged, order = {}, {}
  local function add(name, value)
    local key = tostring(name):lower()
    if merged[key] == nil then order[#order + 1] = key end
    merged[key] = {tostring(name), header_value(value, tostring(name))}
  end
  for k, v in pairs(self.headers) do add(k, v) end
  if opts.headers ~= nil then
    if type(opts.headers) ~= "table" then error("bad option 'headers' (table expected)", 2) end
    for k, v in pairs(opts.headers) do add(k, v) end
  end

  local body = opts.body or opts.data
  if body ~= nil and type(body) ~= "string" then
    error("bad option 'body' to 'request' (string expected, got " .. type(body) .. ")", 2)
  end
  if opts.json ~= nil then
    body = json.encode(opts.json)
    if merged["content-type"] == nil then add("Content-Type", "application/json") end
  end
  local lines = {}
  for i, key in ipairs(order) do
    local h = merged[key]
    lines[i] = h[1] .. ": " .. h[2]
  end

  local timeout = opts.timeout
  if timeout == nil then timeout = self.timeout end
  if timeout == false then timeout = 0 end
  if type(timeout) ~= "number" or timeout < 0 then
    error("bad option 'timeout' to 'request' (non-negative number or false expected)", 2)
  end
  local redirects = opts.redirects
  if redirects == nil or redirects == true then
    redirects = 10
  elseif redirects == false then
    redirects = 0
  elseif math.type(redirects) ~= "integer" or redirects < 0 then
    error("bad option 'redirects' to 'request' (boolean or non-negative integer expected)", 2)
  end

  local t = self._s:request(method, url, lines, body, timeout, redirects, tls)
  while true do
    local kind, status, reason, headers, final_url, version = t:head()
    if kind == "ok" then
      local resp = setmetatable({
        _t = t, status = status, reason = reason, headers = headers, url = final_url,
        method = method, version = version, ok = status < 400,
      }, Response)
      local raise = opts.raise_for_status
      if raise == nil then raise = self.raise_for_status end
      if raise and status >= 400 then
        resp:release()
        resp:raise_for_status()
      end
      return resp
    elseif kind == "wait" then
      wait_on(t, status)
    else
      error(transfer_error(status, reason, method, url), 0)
    end
  end
end)

for _, m in ipairs({"get", "post", "put", "patch", "delete", "head", "options"}) do
  local method = m:upper()
  ClientSession[m] = function(self, url, opts)
    asyncio._check_options(opts, m, REQUEST_OPTS, 2) -- at once, naming the method
    return self:request(method, url, opts)
  end
end

-- ---------------------------------------------------------------- server

local Request = {__name = "asyncio.http.Request"}
local request_methods = {}
-- req.args: the query parsed into a table (computed on first use).
Request.__index = function(req, key)
  if key == "args" then
    local args = parse_query(rawget(req, "query"))
    rawset(req, "args", args)
    return args
  end
  return request_methods[key]
end

-- req:json(): the body decoded as JSON.
function request_methods.json(req) return json.decode(req.body) end

local TEXT = {["content-type"] = "text/plain; charset=utf-8"}
local JSON = {["content-type"] = "application/json"}

local function with_type(headers, ctype)
  if headers == nil then return ctype end
  for k in pairs(headers) do
    if type(k) == "string" and k:lower() == "content-type" then return headers end
  end
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  for k, v in pairs(ctype) do h[k] = v end
  return h
end

-- Sends a streamed body: chunks from body() until it returns nil.
local function stream_body(ex, body)
  while true do
    local fut = ex:wait_writable()
    if fut ~= nil then await(fut) end
    if not ex:connected() then return end
    local chunk = body()
    if asyncio.iscoroutine(chunk) then chunk = await(chunk) end
    if chunk == nil then
      ex:send("", true)
      return
    end
    if type(chunk) ~= "string" then
      error("response body function returned a " .. type(chunk) .. " (string or nil expected)")
    end
    if #chunk > 0 then ex:send(chunk) end
  end
end

-- Sends the handler's result `res` through exchange ex.
local function send_result(ex, res)
  local rt = type(res)
  if rt == "string" then
    ex:respond(200, TEXT, res)
    return
  end
  if res == nil then
    ex:respond(204, nil, nil)
    return
  end
  if rt ~= "table" then
    error("the handler returned a " .. rt .. " (a string, a response table or nil expected)")
  end
  local status = res.status or 200
  if math.type(status) ~= "integer" then
    error("bad response status " .. tostring(status) .. " (integer expected)")
  end
  local headers, body = res.headers, res.body
  if headers ~= nil and type(headers) ~= "table" then
    error("bad response headers (table expected, got " .. type(headers) .. ")")
  end
  if res.json ~= nil then
    body = json.encode(res.json)
    headers = with_type(headers, JSON)
  elseif type(body) == "string" then
    headers = with_type(headers, TEXT)
  end
  if type(body) == "function" then
    ex:start(status, headers)
    stream_body(ex, body)
  elseif body == nil or type(body) == "string" then
    ex:respond(status, headers, body)
  else
    error("bad response body (string or function expected, got " .. type(body) .. ")")
  end
end

local function traceback(e)
  if CancelledError:is(e) then return e end
  return {error = e, traceback = debug.traceback(tostring(e), 2)}
end

-- Runs the handler for one request and sends its result. An error is
-- printed and answered with a 500; a CancelledError ends the response with
-- a 503 and propagates.
local function call_handler(handler, ex, req)
  rawset(req, "_ex", ex)
  local res = handler(req)
  if asyncio.iscoroutine(res) or asyncio.isfuture(res) then res = await(res) end
  if rawget(req, "_websocket") then return end  -- the connection is the websocket's now
  send_result(ex, res)
end

local function handle_exchange(handler, ex, req)
  local ok, err = xpcall(call_handler, traceback, handler, ex, req)
  if ok then return end
  if CancelledError:is(err) then
    ex:abort(503)
    error(err, 0)
  end
  if HTTPError:is(err.error) and err.error.websocket then  -- upgrade_websocket on a plain request
    ex:abort(400)
    return
  end
  io.stderr:write(format("Error handling request %s %s\n%s\n", req.method, req.path, err.traceback))
  io.stderr:flush()
  ex:abort(500)
end

-- The body of each request's task.
local run_exchange = async(handle_exchange)

local Server = {__name = "asyncio.http.Server"}
Server.__index = Server

function Server.__tostring(s)
  return format("<http.Server %s%s>", s.url, s._native:closing() and " closed" or "")
end

-- The websockets upgraded from this server's requests that are still open,
-- oldest first.
local function open_websockets(self)
  local list = {}
  for ws, n in pairs(self._ws.open) do
    if not ws._closed:done() then list[#list + 1] = {ws, n} end
  end
  table.sort(list, function(a, b) return a[2] < b[2] end)
  for i, e in ipairs(list) do list[i] = e[1] end
  return list
end

-- A server going away closes its websockets as Python's websockets does:
-- the closing handshake with 1001 (going away), each in a task of its own
-- (the server's tasks, so that abort() cancels them).
local close_going_away = async(function(ws)
  local ok, err = pcall(await, ws:close(1001, "server shutting down"))
  if not ok and CancelledError:is(err) then error(err, 0) end
end)

local function close_websocket(ws_state, ws)
  ws_state.tasks[asyncio.create_task(close_going_away(ws), "websocket close")] = true
end

-- server:close(): stop accepting; idle connections close now, busy ones
-- once their response is done; upgraded websockets get the closing
-- handshake (1001). Returns at once (see wait_closed).
function Server:close()
  self._native:close()
  if self._ws.closing then return end
  self._ws.closing = true
  for _, ws in ipairs(open_websockets(self)) do close_websocket(self._ws, ws) end
end

-- server:abort(): close(), cancel the running handlers, cut every connection
-- (websockets too: they end with 1006).
function Server:abort()
  self._ws.closing = true
  self._native:abort()
  for _, ws in ipairs(open_websockets(self)) do ws:_abort() end
  for task in pairs(self._tasks) do
    if not task:done() then task:cancel() end
  end
end

-- server:wait_closed(): awaitable; done when every connection has closed,
-- upgraded websockets included.
Server.wait_closed = async(function(self)
  local fut = self._native:wait_closed()
  if fut ~= nil then await(fut) end
  for _, ws in ipairs(open_websockets(self)) do await(ws:wait_closed()) end
end)

-- server:serve_forever(): awaitable that ends when the server is closed.
Server.serve_forever = Server.wait_closed

-- server:stats() -> {connections, connections_total, requests_total,
-- handlers, websockets}; connections counts HTTP connections, websockets
-- the upgraded ones still open.
function Server:stats()
  local st = self._native:stats()
  st.websockets = #open_websockets(self)
  return st
end

-- Leaving a <close> block: close, wait for running handlers for up to
-- shutdown_timeout seconds (loop clock), then abort what is left.
Server.__close = function(self)
  self:close()
  local ok, err = pcall(await, asyncio.wait_for(self:wait_closed(), self._shutdown_timeout))
  if ok then return end
  if not TimeoutError:is(err) then error(err, 0) end
  self:abort()
  fut = self._native:wait_closed()
  if fut ~= nil then await(fut) end
end

--[[
http.serve(handler, opts): awaitable of a listening server.
opts: host (an IP address or "localhost", default "127.0.0.1"), port
(default 0: any free port; see server.port), max_body (largest request
body in bytes, default 64 MiB), backlog, shutdown_timeout (default 5),
ssl (an asyncio.ssl context with a certificate: HTTPS).
The server has .host, .port, .url, close(), abort(), wait_closed(),
serve_forever(), stats(), and closes as a to-be-closed variable.
--]]
local SERVE_OPTS = set("host", "port", "max_body", "backlog", "shutdown_timeout", "ssl")

http.serve = async(function(handler, opts)
  if type(handler) ~= "function" then
    error("bad argument #1 to 'serve' (handler function expected, got " .. type(handler) .. ")", 2)
  end
  opts = check_opts(opts, "serve", SERVE_OPTS, 2)
  local ctx = opts.ssl
  if ctx ~= nil then
    asyncio.ssl._check_context("serve", ctx, "ssl")
    ctx = ctx.native
    if not require("asyncio._tls").has_certificate(ctx) then
      error("bad option 'ssl' to 'serve' (the context has no certificate: create_context{certfile = ...})", 2)
    end
  end
  local host = opts.host or "127.0.0.1"
  local port = opts.port or 0
  if math.type(port) ~= "integer" then
    error("bad option 'port' to 'serve' (integer expected, got " .. tostring(port) .. ")", 2)
  end
  -- Each request's handler runs as a task of its own; the weak set lets
  -- abort() cancel those still running.
  local tasks = setmetatable({}, {__mode = "k"})
  -- The websockets upgraded from its requests (request:upgrade_websocket):
  -- {[ws] = n}, n in the order of upgrading.
  local ws_state = {open = setmetatable({}, {__mode = "k"}), count = 0, closing = false, tasks = tasks}
  local create_task = asyncio.create_task
  local function spawn(ex, req)
    setmetatable(req, Request)
    rawset(req, "_server_ws", ws_state)
    tasks[create_task(run_exchange(handler, ex, req))] = true
  end
  local n = native.listen(host, port, spawn, {max_body = opts.max_body, backlog = opts.backlog, ssl = ctx})
  local self = setmetatable({
    _native = n, _tasks = tasks, _ws = ws_state, _shutdown_timeout = opts.shutdown_timeout or 5,
    host = host, port = n:port(),
  }, Server)
  local h = host:find(":", 1, true) and ("[" .. host .. "]") or host
  self.url = (ctx and "https://" or "http://") .. h .. ":" .. self.port
  return self
end)

-- ---------------------------------------------------------------- websockets
--
-- The protocol is wslay's (runtime/io/ws.cpp, asyncio._ws: a core without I/O
-- of its own); a WebSocket runs it over a stream (reader, writer): a task
-- reads the connection, feeds the core and queues the messages it yields
-- (at most max_queue: then the task stops reading, and TCP makes the peer
-- wait: back-pressure); send() writes what the core produces and waits for
-- the writer to drain.

local WebSocket = {__name = "asyncio.http.WebSocket"}
WebSocket.__index = WebSocket
http.WebSocket = WebSocket

-- ConnectionClosed-style error for send() on a closed websocket.
local WebSocketError = ClientError:extend("WebSocketError")
WebSocketError.__tostring = message_tostring
http.WebSocketError = WebSocketError

local CLOSED = setmetatable({}, {__name = "closed"})

function WebSocket.__tostring(ws)
  return format("<WebSocket %s%s>", ws._is_client and "client" or "server",
    ws.close_code and (" closed " .. ws.close_code) or "")
end

local function ws_flush(ws)
  local out = ws._core:output()
  if out ~= "" and not ws._writer:is_closing() then
    ws._writer:write(out)
    await(ws._writer:drain())
  end
end

local function ws_finish(ws, code, reason)
  if ws._closed:done() then return end
  if ws.close_code == nil then
    ws.close_code, ws.close_reason = code, reason or ""
  end
  for _, fut in ipairs(ws._pings) do
    if not fut:done() then fut:set_exception(WebSocketError("the websocket closed before the pong arrived")) end
  end
  ws._pings = {}
  ws._queue:put_nowait(CLOSED)  -- (the queue keeps one free place for it)
  ws._closed:set_result()
end

-- The reading task: bytes in, messages out.
local ws_read_loop = async(function(ws)
  local reader, core = ws._reader, ws._core
  while true do
    local ok, data = pcall(await, reader:read(65536))
    if not ok or data == "" then  -- the connection ended without a close frame
      ws._writer:close()
      return ws_finish(ws, 1006, "")
    end
    local good = core:feed(data)
    while true do
      local kind, msg, status = core:take()
      if kind == nil then break end
      if kind == "text" or kind == "binary" then
        if kind == "binary" then msg = {binary = msg} end
        if ws._queue:qsize() >= ws._max_queue then await(ws._space:wait()) end
        ws._queue:put_nowait(msg)
      elseif kind == "pong" then
        local fut = table.remove(ws._pings, 1)
        if fut and not fut:done() then fut:set_result() end
      elseif kind == "close" then
        ws.close_code, ws.close_reason = status ~= 0 and status or 1005, msg
      end
    end
    pcall(ws_flush, ws)  -- pongs, the answer to a close
    local can_read, _, close_sent, close_received = core:state()
    if not good then
      ws._writer:close()
      return ws_finish(ws, 1002, "protocol error")
    end
    if close_received and close_sent then
      ws._writer:close()
      return ws_finish(ws, ws.close_code or 1005, ws.close_reason)
    end
    if not can_read then
      ws._writer:close()
      return ws_finish(ws, ws.close_code or 1006, ws.close_reason)
    end
  end
end)

local function new_websocket(reader, writer, is_client, opts)
  local ws = setmetatable({
    _core = require("asyncio._ws").new(is_client, opts.max_size),
    _reader = reader, _writer = writer, _is_client = is_client,
    _max_queue = opts.max_queue or 16,
    _queue = asyncio.Queue(), _space = asyncio.Event(), _pings = {},
    _closed = asyncio.Future(),
    subprotocol = opts.subprotocol,
  }, WebSocket)
  ws._task = asyncio.create_task(ws_read_loop(ws), "websocket reader")
  return ws
end

-- ws:receive(): awaitable of the next message: a string (text), or
-- {binary = bytes}; nil once the websocket is closed (see close_code).
WebSocket.receive = async(function(ws)
  local msg = await(ws._queue:get())
  ws._space:set()
  ws._space:clear()
  if msg == CLOSED then
    ws._queue:put_nowait(CLOSED)  -- every later receive() returns nil too
    return nil
  end
  return msg
end)

local SEND_FIELDS = {"binary"}

-- ws:send(text | {binary = bytes}): awaitable; returns once the frame is
-- written to the connection's buffer below its high-water mark.
WebSocket.send = async(function(ws, msg)
  local kind, data
  if type(msg) == "string" then
    kind, data = "text", msg
  elseif type(msg) == "table" and type(msg.binary) == "string" then
    asyncio._check_options(msg, "send", SEND_FIELDS, 1)
    kind, data = "binary", msg.binary
  else
    error("bad argument #1 to 'send' (string or {binary = string} expected, got " .. type(msg) .. ")", 2)
  end
  if ws.close_code ~= nil or not ws._core:queue(kind, data) then
    error(WebSocketError(format("cannot send: the websocket is closed (code %s)", tostring(ws.close_code or "closing"))), 2)
  end
  ws_flush(ws)
end)

-- ws:ping([data]): awaitable; returns when the matching pong arrived.
WebSocket.ping = async(function(ws, data)
  if ws.close_code ~= nil or not ws._core:queue("ping", data or "") then
    error(WebSocketError("cannot ping: the websocket is closed"), 2)
  end
  local fut = asyncio.Future()
  ws._pings[#ws._pings + 1] = fut
  ws_flush(ws)
  await(fut)
end)

-- ws:close([code [, reason]]): awaitable; the closing handshake (default
-- 1000), waiting up to close_timeout (10 s) for the peer's answer. Closing
-- twice is harmless.
WebSocket.close = async(function(ws, code, reason)
  if ws.close_code == nil then
    if ws._core:close(code or 1000, reason or "") then pcall(ws_flush, ws) end
    local ok = pcall(await, asyncio.wait_for(asyncio.shield(ws._closed), ws._close_timeout or 10))
    if not ok then
      ws._writer:close()
      ws._task:cancel()
      if ws.close_code == nil then ws.close_code, ws.close_reason = 1006, "" end
    end
  end
  await(ws._writer:wait_closed())
end)
WebSocket.__close = function(ws) await(ws:close()) end

-- Cuts the connection now (http.serve's abort()): closed with 1006.
function WebSocket._abort(ws)
  ws._writer:close()
  ws_finish(ws, 1006, "")
end

-- ws:wait_closed(): awaitable, done when the connection has closed.
WebSocket.wait_closed = async(function(ws) await(asyncio.shield(ws._closed)) end)

local function parse_ws_url(url)
  local scheme, rest = url:match("^(wss?)://(.+)$")
  if not scheme then
    error(format("bad argument #1 to 'ws_connect' (a ws:// or wss:// URL expected, got %q)", url), 3)
  end
  local authority, path = rest:match("^([^/?#]+)(.*)$")
  if not authority then error(format("bad argument #1 to 'ws_connect' (no host in %q)", url), 3) end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  port = tonumber(port) or (scheme == "wss" and 443 or 80)
  if path == "" then path = "/" end
  return scheme == "wss", host, port, path, authority
end

local WS_CONNECT_OPTS = set("protocols", "headers", "ssl", "cafile", "verify", "cert", "max_size", "max_queue",
  "open_timeout")

-- The TLS context of a wss:// connection from ws_connect's options, which
-- are the HTTP client's (tls_settings): true (the default context) when
-- none is given, the ssl context itself when it is the only one.
local function ws_tls_context(opts)
  local t = tls_settings(opts, "ws_connect")
  if t == nil then return true end
  if opts.ssl and opts.cafile == nil and opts.verify == nil and opts.cert == nil then return opts.ssl end
  return asyncio.ssl.create_context({cafile = t.cafile, capath = t.capath, certfile = t.certfile, keyfile = t.keyfile,
    verify = t.verify, check_hostname = t.check_hostname})
end

--[[
http.ws_connect(url [, opts]): awaitable of a client WebSocket (ws:// or
wss://). opts: protocols (subprotocols to offer; ws.subprotocol is the one
the server chose), headers (extra request headers), and for wss:// the HTTP
client's TLS options: ssl (an asyncio.ssl context, or false: no
verification; default: the system's certificates), cafile, verify, cert;
max_size (largest
message, default 1 MiB), max_queue (messages buffered before reading
stops, default 16), open_timeout (seconds for the handshake, default 10).
--]]
http.ws_connect = async(function(url, opts)
  if type(url) ~= "string" then
    error("bad argument #1 to 'ws_connect' (URL string expected, got " .. type(url) .. ")", 2)
  end
  opts = check_opts(opts, "ws_connect", WS_CONNECT_OPTS, 2)
  local secure, host, port, path, authority = parse_ws_url(url)
  local tls = secure and ws_tls_context(opts) or nil
  local wsn = require("asyncio._ws")
  local protocols = opts.protocols
  if protocols ~= nil and type(protocols) ~= "table" then
    error("bad option 'protocols' to 'ws_connect' (array of strings expected)", 2)
  end
  local key = wsn.new_key()
  local lines = {
    "GET " .. path .. " HTTP/1.1", "Host: " .. authority, "Upgrade: websocket", "Connection: Upgrade",
    "Sec-WebSocket-Key: " .. key, "Sec-WebSocket-Version: 13",
  }
  if protocols and #protocols > 0 then lines[#lines + 1] = "Sec-WebSocket-Protocol: " .. concat(protocols, ", ") end
  for k, v in pairs(opts.headers or {}) do lines[#lines + 1] = tostring(k) .. ": " .. header_value(v, tostring(k)) end
  local _ <close> = asyncio.timeout(opts.open_timeout or 10)
  local reader, writer = await(asyncio.open_connection(host, port,
    secure and {ssl = tls, server_hostname = host} or nil))
  local ok, err = pcall(function()
    writer:write(concat(lines, "\r\n") .. "\r\n\r\n")
    local got, head = pcall(await, reader:readuntil("\r\n\r\n"))
    if not got then
      if not asyncio.IncompleteReadError:is(head) then error(head, 0) end
      error(ClientConnectionError(format("EPROTO: the server closed the connection without answering the websocket"
        .. " handshake%s: %s", secure and "" or " (a TLS server? use wss://)", url), {code = "EPROTO", url = url}), 0)
    end
    local status = tonumber(head:match("^HTTP/1%.%d (%d%d%d)"))
    local headers = {}
    for name, value in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do headers[name:lower()] = value end
    if status ~= 101 then
      error(ClientConnectionError(format("EPROTO: the server refused the websocket (HTTP %s): %s",
        tostring(status), url), {code = "EPROTO", url = url, status = status}), 0)
    end
    if headers["sec-websocket-accept"] ~= wsn.accept_key(key) then
      error(ClientConnectionError("EPROTO: bad Sec-WebSocket-Accept in the server's answer: " .. url,
        {code = "EPROTO", url = url}), 0)
    end
    return headers["sec-websocket-protocol"]
  end)
  if not ok then
    writer:close()
    error(err, 0)
  end
  return new_websocket(reader, writer, true, {max_size = opts.max_size, max_queue = opts.max_queue, subprotocol = err})
end)

local UPGRADE_OPTS = set("protocols", "max_size", "max_queue")

--[[
request:upgrade_websocket([opts]) in an http.serve handler: awaitable of a
server WebSocket on the request's connection (answering 101). opts:
protocols (the subprotocols this server speaks, by preference; the first
the client offers too is chosen), max_size, max_queue. Not a websocket
handshake: an HTTPError with status 400. The handler's return value is
then ignored: return when the websocket is done.
--]]
request_methods.upgrade_websocket = async(function(req, opts)
  opts = check_opts(opts, "upgrade_websocket", UPGRADE_OPTS, 1)
  local h = req.headers
  local key = h["sec-websocket-key"]
  if req.method ~= "GET" or not (h.upgrade or ""):lower():find("websocket", 1, true) or key == nil
    or h["sec-websocket-version"] ~= "13" then
    error(HTTPError("not a websocket handshake", {status = 400, websocket = true}), 2)
  end
  local chosen
  if opts.protocols then
    local offered = {}
    for p in (h["sec-websocket-protocol"] or ""):gmatch("[^,%s]+") do offered[p] = true end
    for _, p in ipairs(opts.protocols) do
      if offered[p] then chosen = p; break end
    end
  end
  local headers = {["upgrade"] = "websocket", ["sec-websocket-accept"] = require("asyncio._ws").accept_key(key)}
  if chosen then headers["sec-websocket-protocol"] = chosen end
  local ex = rawget(req, "_ex")
  local reader, writer = await(ex:upgrade(headers))
  rawset(req, "_websocket", true)
  local ws = new_websocket(reader, writer, false, {max_size = opts.max_size, max_queue = opts.max_queue, subprotocol = chosen})
  local ws_state = rawget(req, "_server_ws")
  if ws_state then
    ws_state.count = ws_state.count + 1
    ws_state.open[ws] = ws_state.count
    if ws_state.closing then close_websocket(ws_state, ws) end  -- upgraded while the server closes
  end
  return ws
end)

return http
