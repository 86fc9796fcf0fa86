-- Strict options: every function that takes an options table rejects a key
-- it does not know, naming the key and the accepted ones. The list below is
-- checked against docs/api.md: every function documented with an options
-- table (a backticked signature with `opts` or `{...}` in its arguments)
-- must have a case here, so a new function cannot skip the check unnoticed.
local T = require("testlib")
local http = require("asyncio.http")
local fs = require("asyncio.fs")
local httpbin = require("asyncio.httpbin")

local BAD = "no_such_option"

-- Each case calls the function with an options table holding `opts` plus
-- the unknown key (call(opts) is run inside a task) and names the accepted
-- options the message must list. `fname` is the name in the message.
local cases = {}
local function case(doc_name, fname, accepted, call)
  cases[#cases + 1] = {doc_name = doc_name, fname = fname, accepted = accepted, call = call}
end

local noop = async(function() end)

case("run", "run", "autojump_grace, clock, debug, slow_callback_duration, timeline, timeline_width, trace",
  function(o)
    local c = noop()
    local ok, err = pcall(asyncio.run, c, o)
    c:close()
    if not ok then error(err, 0) end
  end)
case("create_task", "create_task", "context, name", function(o)
  local c = noop()
  local ok, err = pcall(asyncio.create_task, c, o)
  c:close()
  if not ok then error(err, 0) end
end)
case("loop:create_task", "create_task", "context, name", function(o)
  local c = noop()
  local ok, err = pcall(asyncio.get_running_loop().create_task, asyncio.get_running_loop(), c, o)
  c:close()
  if not ok then error(err, 0) end
end)
case("tg:create_task", "create_task", "context, name", function(o)
  local c = noop()
  local ok, err = pcall(function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(c, o)
  end)
  c:close()
  if not ok then error(err, 0) end
end)
case("gather", "gather", "return_exceptions", function(o)
  local f = asyncio.Future()
  f:set_result(1)
  asyncio.gather(f, o)
end)
case("wait", "wait", "return_when, timeout", function(o)
  local f = asyncio.Future()
  f:set_result(1)
  await(asyncio.wait({f}, o))
end)
case("as_completed", "as_completed", "timeout", function(o)
  local f = asyncio.Future()
  f:set_result(1)
  asyncio.as_completed({f}, o)
end)
case("print_call_graph", "print_call_graph", "all, file, limit", function(o)
  asyncio.print_call_graph(nil, o)
end)
case("format_call_graph", "format_call_graph", "all, limit", function(o)
  asyncio.format_call_graph(nil, o)
end)
case("capture_call_graph", "capture_call_graph", "all, limit", function(o)
  asyncio.capture_call_graph(nil, o)
end)
case("open_connection", "open_connection", "limit, server_hostname, ssl, ssl_handshake_timeout", function(o)
  await(asyncio.open_connection("127.0.0.1", 1, o))
end)
case("start_server", "start_server", "backlog, limit, ssl, ssl_handshake_timeout", function(o)
  local server = await(asyncio.start_server(function() end, "127.0.0.1", 0, o))
  server:close()
end)
case("create_subprocess_exec", "create_subprocess_exec", "cwd, env, stderr, stdin, stdout", function(o)
  await(asyncio.create_subprocess_exec("true", o))
end)
case("create_subprocess_shell", "create_subprocess_shell", "cwd, env, stderr, stdin, stdout", function(o)
  await(asyncio.create_subprocess_shell("true", o))
end)
case("fs.write_file", "write_file", "atomic", function(o)
  await(fs.write_file(os.tmpname(), "x", o))
end)
case("http.ClientSession", "ClientSession",
  "base_url, cafile, cert, headers, max_connections, max_connections_per_host, raise_for_status, ssl, timeout, verify",
  function(o)
    local s <close> = http.ClientSession(o)
  end)
local request_options =
  "body, cafile, cert, data, headers, json, params, raise_for_status, redirects, ssl, timeout, verify"
case("session:request", "request", request_options, function(o)
  local s <close> = http.ClientSession()
  await(s:request("GET", "http://127.0.0.1:1/", o))
end)
for _, m in ipairs({"get", "post", "put", "patch", "delete", "head", "options"}) do
  case("session:" .. m, m, request_options, function(o)
    local s <close> = http.ClientSession()
    await(s[m](s, "http://127.0.0.1:1/", o))
  end)
end
case("http.serve", "serve", "backlog, host, max_body, port, shutdown_timeout, ssl", function(o)
  local server <close> = await(http.serve(function() end, o))
end)
case("httpbin.start", "start", "host, port, shutdown_timeout", function(o)
  local server <close> = await(httpbin.start(o))
end)

case("open_unix_connection", "open_unix_connection", "limit, server_hostname, ssl, ssl_handshake_timeout",
  function(o) await(asyncio.open_unix_connection("/nonexistent/socket", o)) end)
case("start_unix_server", "start_unix_server", "backlog, limit, ssl, ssl_handshake_timeout", function(o)
  await(asyncio.start_unix_server(function() end, "/nonexistent/socket", o))
end)
case("loop:create_datagram_endpoint", "create_datagram_endpoint",
  "allow_broadcast, family, local_addr, remote_addr, reuse_port", function(o)
    local loop = asyncio.get_running_loop()
    await(loop:create_datagram_endpoint({}, o))
  end)
case("getaddrinfo", "getaddrinfo", "family, flags, proto, type", function(o)
  await(asyncio.getaddrinfo("localhost", 80, o))
end)
case("ssl.create_context", "create_context",
  "cafile, capath, certfile, check_hostname, keyfile, verify, verify_client", function(o)
    asyncio.ssl.create_context(o)
  end)
-- A connected writer for start_tls.
local function with_writer(fn)
  local server = await(asyncio.start_server(async(function(_, w) w:close() end), "127.0.0.1", 0))
  local _, writer = await(asyncio.open_connection("127.0.0.1", server.port))
  local ok, err = pcall(fn, writer)
  writer:close()
  server:close()
  if not ok then error(err, 0) end
end
case("writer:start_tls", "start_tls", "server_hostname, ssl_handshake_timeout", function(o)
  with_writer(function(writer) await(writer:start_tls(asyncio.ssl.create_context(), o)) end)
end)
case("http.ws_connect", "ws_connect", "cafile, cert, headers, max_queue, max_size, open_timeout, protocols, ssl, verify", function(o)
  await(http.ws_connect("ws://127.0.0.1:1/", o))
end)
case("request:upgrade_websocket", "upgrade_websocket", "max_queue, max_size, protocols", function(o)
  local caught
  local server <close> = await(http.serve(async(function(req)
    local ok, err = pcall(await, req:upgrade_websocket(o))
    caught = err
    return "no"
  end), {port = 0}))
  local s <close> = http.ClientSession()
  local resp <close> = await(s:get(server.url .. "/"))
  error(caught, 0)
end)
case("ws:send", "send", "binary", function(o)
  local server <close> = await(http.serve(async(function(req)
    local ws <close> = await(req:upgrade_websocket())
    await(ws:receive())
  end), {port = 0}))
  local ws <close> = await(http.ws_connect("ws://127.0.0.1:" .. server.port .. "/"))
  o.binary = "bytes"
  await(ws:send(o))
end)
case("task:get_stack", "get_stack", "limit", function(o)
  local t = asyncio.create_task(asyncio.sleep(0))
  local ok, err = pcall(t.get_stack, t, o)
  await(t)
  if not ok then error(err, 0) end
end)
case("task:print_stack", "print_stack", "file, limit", function(o)
  local t = asyncio.create_task(asyncio.sleep(0))
  local ok, err = pcall(t.print_stack, t, o)
  await(t)
  if not ok then error(err, 0) end
end)
case("Runner", "Runner", "autojump_grace, clock, debug, slow_callback_duration", function(o)
  asyncio.Runner(o)
end)
case("runner:run", "run", "context", function(o)
  local runner = asyncio.Runner()
  local c = async(function() end)()
  local ok, err = pcall(runner.run, runner, c, o)
  c:close()
  runner:close()
  if not ok then error(err, 0) end
end)
case("ContextVar", "ContextVar", "default", function(o)
  asyncio.ContextVar("v", o)
end)

-- The functions docs/api.md documents with an options table.
local function documented()
  local f = assert(io.open("../../docs/api.md"))
  local text = f:read("a")
  f:close()
  text = text:gsub("```.-```", "") -- code blocks
  text = text:gsub("\n%s*", " ") -- signatures may span lines
  local names, seen = {}, {}
  for span in text:gmatch("`([^`]+)`") do
    -- "asyncio.run(coro [, opts])", "http.serve(handler, {host =, ...})",
    -- "session:request(method, url [, opts])", "asyncio.run(main(), {...})"
    local name, args = span:match("^([%a_][%w_.:]*)(%b())$")
    if name and (args:find("opts", 1, true) or args:find("{", 1, true)) then
      name = name:gsub("^asyncio%.", ""):gsub("^local %w+ = ", "")
      if not seen[name] then
        seen[name] = true
        names[#names + 1] = name
      end
    end
  end
  return names
end

T.test("every function documented with options has a case here", function()
  local have = {}
  for _, c in ipairs(cases) do have[c.doc_name] = true end
  local names = documented()
  T.ok(#names >= 10, "docs/api.md lists functions with options (found " .. #names .. ")")
  local missing = {}
  for _, name in ipairs(names) do
    if not have[name] then missing[#missing + 1] = name end
  end
  T.eq(missing, {}, "documented functions with options but no case in test_options.lua")
end)

for _, c in ipairs(cases) do
  T.test(c.doc_name .. " rejects an unknown option", function()
    local err = T.raises("bad option", c.call, {[BAD] = true})
    local want = string.format("bad option '%s' to '%s' (unknown option; accepted: %s)", BAD, c.fname, c.accepted)
    T.ok(tostring(err):find(want, 1, true), "expected\n  " .. want .. "\ngot\n  " .. tostring(err))
  end)
end

T.test("a key that is not a string is named too", function()
  local f = asyncio.Future()
  local err = T.raises("bad option", function() await(asyncio.wait({f}, {5})) end)
  T.ok(tostring(err):find("bad option '[1]' to 'wait' (unknown option; accepted: return_when, timeout)", 1, true),
    tostring(err))
end)

T.test("options that are not a table are a bad argument", function()
  T.raises("bad argument #3 to 'open_connection' %(table of options expected, got string%)", function()
    await(asyncio.open_connection("127.0.0.1", 1, "ssl"))
  end)
end)

T.test("asyncio._check_options: accepted keys pass, nil passes", function()
  T.eq(asyncio._check_options({a = 1, b = 2}, "f", {"a", "b"}), true)
  T.eq(asyncio._check_options(nil, "f", {"a"}), false)
  T.raises("bad option 'c' to 'f' %(unknown option; accepted: a, b%)", asyncio._check_options, {c = 1}, "f", {"b", "a"})
  T.raises("bad option 'x' to 'f' %(unknown option; it takes none%)", asyncio._check_options, {x = 1}, "f", {})
  T.raises("bad argument #2 to 'f' %(table of options expected, got number%)",
    asyncio._check_options, 5, "f", {"a"}, 2)
end)

T.done()
