-- httpbin.lua: require("asyncio.httpbin"), a local test server in the style
-- of httpbin.org, built on http.serve, so that lessons and tests need no
-- internet. `luasync httpbin [--port N] [--host H]` runs it from the shell.
--
--   local httpbin = require("asyncio.httpbin")
--   local server <close> = await(httpbin.start({port = 0}))
--   local url = server.url .. "/delay/1"
--
-- Endpoints (any method unless said otherwise):
--   /get                  {method, args, headers, origin, url} as JSON
--   /post /put /patch /delete /anything[/...]
--                         the same plus data (the body) and json (the body
--                         decoded, or null)
--   /headers              {headers}
--   /ip                   {origin}
--   /json                 a fixed JSON document
--   /status/<code>        an empty response with that status (3xx: to /get)
--   /delay/<seconds>      waits on the loop clock (free under the virtual
--                         clock), then answers like /get
--   /bytes/<n>            n pseudo-random bytes, the same for the same n
--                         (streamed in 64 KiB chunks)
--   /stream/<n>           n JSON lines, streamed (chunked)
--   /redirect/<n>         n redirects, then /get
--   /redirect-to?url=U    a redirect to U
--   /                     this list
local asyncio = ...
local http = require("asyncio.http")
local json = require("asyncio.json")

local async, await = asyncio.async, asyncio.await

local httpbin = {}

local INDEX = [[
luasync httpbin: a local HTTP test server

  /get                 echo the request as JSON
  /post, /put, /patch, /delete, /anything
                       echo the request and its body as JSON
  /headers             the request headers
  /ip                  the client address
  /json                a fixed JSON document
  /status/<code>       a response with that status
  /delay/<seconds>     answer after a delay (on the loop clock)
  /bytes/<n>           n pseudo-random bytes (deterministic)
  /stream/<n>          n JSON lines, streamed
  /redirect/<n>        n redirects, then /get
  /redirect-to?url=U   a redirect to U
]]

-- The fixed document of /json (httpbin.org's).
httpbin.JSON_DOCUMENT = {
  slideshow = {
    author = "Yours Truly",
    date = "date of publication",
    slides = {
      {title = "Wake up to WonderWidgets!", type = "all"},
      {items = {"Why <em>WonderWidgets</em> are great", "Who <em>buys</em> WonderWidgets"},
       title = "Overview", type = "all"},
    },
    title = "Sample Slide Show",
  },
}

-- 64 KiB of pseudo-random bytes (xorshift64*), made once. /bytes/<n> is
-- this block repeated, cut at n: deterministic, and cheap to stream.
local BLOCK_SIZE = 65536
local block
local function random_block()
  if block then return block end
  local x = 0x2545F4914F6CDD1D
  local parts = {}
  for i = 1, BLOCK_SIZE // 8 do
    x = x ~ (x >> 12)
    x = x ~ (x << 25)
    x = x ~ (x >> 27)
    parts[i] = string.pack("<i8", x * 0x2545F4914F6CDD1D)
  end
  block = table.concat(parts)
  return block
end

-- httpbin.bytes(n): the body of /bytes/<n> as one string.
function httpbin.bytes(n)
  if math.type(n) ~= "integer" or n < 0 then
    error("bad argument #1 to 'bytes' (non-negative integer expected, got "
          .. (math.type(n) == "float" and "float" or type(n)) .. ")", 2)
  end
  local b = random_block()
  return b:rep(n // BLOCK_SIZE) .. b:sub(1, n % BLOCK_SIZE)
end

local function echo(req, with_body)
  local url = "http://" .. (req.headers.host or "localhost") .. req.path
  if req.query ~= "" then url = url .. "?" .. req.query end
  local doc = {
    method = req.method,
    args = json.object(req.args),
    headers = json.object(req.headers),
    origin = req.remote,
    url = url,
  }
  if with_body then
    doc.data = req.body
    local ok, value = pcall(json.decode, req.body)
    doc.json = (ok and req.body ~= "") and value or json.null
  end
  return {status = 200, json = doc}
end

local function not_found(what)
  return {status = 404, body = "Not Found: " .. what .. "\n"}
end

local routes = {}

routes["get"] = function(req) return echo(req, false) end
for _, m in ipairs({"post", "put", "patch", "delete", "anything"}) do
  routes[m] = function(req) return echo(req, true) end
end
routes["headers"] = function(req) return {json = {headers = json.object(req.headers)}} end
routes["ip"] = function(req) return {json = {origin = req.remote}} end
routes["json"] = function() return {json = httpbin.JSON_DOCUMENT} end

routes["status"] = function(req, arg)
  local code = tonumber(arg)
  if not code or math.type(code) ~= "integer" or code < 100 or code > 599 then
    return {status = 400, body = "bad status code: " .. tostring(arg) .. "\n"}
  end
  if code >= 300 and code < 400 and code ~= 304 then
    return {status = code, headers = {location = "/get"}}
  end
  return {status = code, body = ""}
end

routes["delay"] = function(req, arg)
  local s = tonumber(arg)
  if not s or s < 0 or s ~= s then
    return {status = 400, body = "bad delay: " .. tostring(arg) .. "\n"}
  end
  await(asyncio.sleep(s))
  return echo(req, false)
end

routes["bytes"] = function(req, arg)
  local n = tonumber(arg)
  if not n or math.type(n) ~= "integer" or n < 0 then
    return {status = 400, body = "bad byte count: " .. tostring(arg) .. "\n"}
  end
  local headers = {["content-type"] = "application/octet-stream"}
  if n <= BLOCK_SIZE then
    return {headers = headers, body = random_block():sub(1, n)}
  end
  local b, sent = random_block(), 0
  return {headers = headers, body = function()
    if sent >= n then return nil end
    local k = math.min(BLOCK_SIZE, n - sent)
    sent = sent + k
    return k == BLOCK_SIZE and b or b:sub(1, k)
  end}
end

routes["stream"] = function(req, arg)
  local n = tonumber(arg)
  if not n or math.type(n) ~= "integer" or n < 0 then
    return {status = 400, body = "bad line count: " .. tostring(arg) .. "\n"}
  end
  local i = 0
  return {headers = {["content-type"] = "application/json"}, body = function()
    if i >= n then return nil end
    i = i + 1
    await(asyncio.sleep(0))
    return json.encode({id = i - 1, url = req.path}) .. "\n"
  end}
end

routes["redirect"] = function(req, arg)
  local n = tonumber(arg)
  if not n or math.type(n) ~= "integer" or n < 1 then
    return {status = 400, body = "bad redirect count: " .. tostring(arg) .. "\n"}
  end
  return {status = 302, headers = {location = n == 1 and "/get" or ("/redirect/" .. (n - 1))}}
end

routes["redirect-to"] = function(req)
  local url = req.args.url
  if not url then return {status = 400, body = "missing url parameter\n"} end
  return {status = tonumber(req.args.status_code) or 302, headers = {location = url}}
end

-- Routes that take a path argument (/status/<code>...); the others match
-- their path exactly (/anything also takes any subpath).
local takes_arg = {status = true, delay = true, bytes = true, stream = true, redirect = true, anything = true}

-- httpbin.handler(req): the request handler (a coroutine function).
httpbin.handler = async(function(req)
  if req.path == "/" then return INDEX end
  local name, arg = req.path:match("^/([%w%-]+)/?(.*)$")
  local route = name and routes[name]
  if not route or (arg ~= "" and not takes_arg[name]) then return not_found(req.path) end
  return route(req, arg)
end)

--[[
httpbin.start([opts]): awaitable of a running server (http.serve's, so it
has .port, .url, close(), wait_closed(), serve_forever(), <close>).
opts: host (default "127.0.0.1"), port (default 0: any free port),
shutdown_timeout (as http.serve's).
--]]
httpbin.start = async(function(opts)
  asyncio._check_options(opts, "start", {"host", "port", "shutdown_timeout"}, 1)
  opts = opts or {}
  return await(http.serve(httpbin.handler, {host = opts.host or "127.0.0.1", port = opts.port or 0,
    shutdown_timeout = opts.shutdown_timeout}))
end)

local USAGE = [[
usage: luasync httpbin [--port N] [--host H]

Runs a local HTTP test server (like httpbin.org) until Ctrl-C.
  --port N   port to listen on (default 8080; 0: any free port)
  --host H   address to listen on (default 127.0.0.1)
]]

-- httpbin.cli(...): `luasync httpbin` with its arguments.
function httpbin.cli(...)
  local args = {...}
  local opts = {port = 8080, host = "127.0.0.1"}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "-h" or a == "--help" then
      io.stdout:write(USAGE)
      return
    elseif a == "--port" or a == "--host" then
      local v = args[i + 1]
      if v == nil then
        io.stderr:write("luasync httpbin: option '" .. a .. "' needs a value\n" .. USAGE)
        os.exit(2)
      end
      if a == "--port" then
        local p = tonumber(v)
        if not p or math.type(p) ~= "integer" or p < 0 or p > 65535 then
          io.stderr:write("luasync httpbin: bad port '" .. v .. "'\n" .. USAGE)
          os.exit(2)
        end
        opts.port = p
      else
        opts.host = v
      end
      i = i + 2
    else
      io.stderr:write("luasync httpbin: unrecognized argument '" .. a .. "'\n" .. USAGE)
      os.exit(2)
    end
  end
  local ok, err = pcall(asyncio.run, async(function()
    local server <close> = await(httpbin.start(opts))
    print("httpbin listening on " .. server.url)
    io.stdout:flush()
    await(server:serve_forever())
  end)())
  -- Ctrl-C is how it is meant to end: the server has closed, say so quietly.
  if not ok and asyncio.KeyboardInterrupt:is(err) then
    print("httpbin stopped")
    return
  end
  if not ok then error(err, 0) end
end

return httpbin
