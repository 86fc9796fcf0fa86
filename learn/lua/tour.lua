-- tour.lua: the front of `luasync tour` (learn/tour.h): a luasync program
-- on asyncio.http's server (h2o) that serves the page, the lessons and the
-- workspace to the browser, and hands Run and Check to the job backend
-- (`luasync tour --backend`), streaming what it sends back.
--
-- Routes (every one needs the token; see `allowed`):
--   GET  /                          the page (learn/web/index.html)
--   GET  /static/NAME               its script, styles, CodeMirror
--   GET  /api/catalog               lessons, exercises, progress
--   GET  /api/lesson/DIR            a lesson: HTML and exercises
--   GET  /api/exercise/NAME         an exercise and the learner's file
--   PUT  /api/exercise/NAME         save the file (atomically)
--   POST /api/run/NAME              save, then run: a stream of JSON lines
--   POST /api/check/NAME            save, then check: idem
--   POST /api/example/DIR/NAME      run an example as edited: idem
--   POST /api/hint/NAME             the next hint (recorded in the progress)
--   POST /api/reset/NAME            the starter file again (the old one kept)
local config, native = ...

local http = require("asyncio.http")
local json = require("asyncio.json")

local TOKEN = config.token
local cookie_name -- "luasync_tour_PORT", once the port is known
local hosts = {}  -- Host headers we answer to (no DNS rebinding)

-- ---------------------------------------------------------------- helpers

-- Compares without stopping at the first difference.
local function same_secret(a, b)
  if type(a) ~= "string" or #a ~= #b then return false end
  local diff = 0
  for i = 1, #b do diff = diff | (a:byte(i) ~ b:byte(i)) end
  return diff == 0
end

local function cookie_token(req)
  local c = req.headers.cookie
  if not c or not cookie_name then return nil end
  for name, value in c:gmatch("([^=;%s]+)=([^;]*)") do
    if name == cookie_name then return value end
  end
end

local TEXT = {["content-type"] = "text/plain; charset=utf-8", ["cache-control"] = "no-store"}
local JSON = {["content-type"] = "application/json", ["cache-control"] = "no-store"}

local function refuse(status, why)
  return {status = status, headers = TEXT, body = why .. "\n"}
end

-- Only for us: the Host we listen on, and the token (in the URL, a header,
-- or the cookie the page got; a request that changes something must carry
-- the header, which another site cannot make a browser send).
local function allowed(req)
  local host = req.headers.host
  if not host or not hosts[host:lower()] then
    return nil, refuse(403, "luasync tour: this server answers only to " .. config.url_host .. ".")
  end
  local header = req.headers["x-luasync-token"]
  if same_secret(header, TOKEN) then return true end
  if req.method == "GET" or req.method == "HEAD" then
    if same_secret(req.args.token, TOKEN) or same_secret(cookie_token(req), TOKEN) then return true end
  end
  return nil, refuse(403,
    "luasync tour: this page needs the token from the URL that `luasync tour` printed. Open that URL.")
end

local function json_response(text, status)
  if text == nil then return refuse(404, "not found") end
  return {status = status or 200, headers = JSON, body = text}
end

local function decode_path(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- ---------------------------------------------------------------- backend

-- The job backend: one process, one job at a time, answers as JSON lines.
local backend = {proc = nil, starting = false, next_id = 0, waiting = {}, ready = nil, failure = nil}

-- Starts the backend unless it runs or is starting; returns at once.
-- backend.ready is set when it has said it is ready, or has failed.
local function start_backend()
  if backend.proc or backend.starting then return end
  backend.starting = true
  backend.ready = asyncio.Event()
  backend.failure = nil
  local args = {"tour", "--backend", config.workspace, "--time-limit", tostring(config.time_limit)}
  if config.lessons ~= "" then args[#args + 1] = "--lessons"; args[#args + 1] = config.lessons end
  args[#args + 1] = {stdin = "pipe", stdout = "pipe"}
  asyncio.create_task(async(function()
    local ok, proc = pcall(await, asyncio.create_subprocess_exec(config.exe, table.unpack(args)))
    backend.starting = false
    if not ok then
      if asyncio.CancelledError:is(proc) then error(proc, 0) end
      backend.failure = "cannot start the process that runs the code: " .. tostring(proc)
      backend.ready:set()
      return
    end
    backend.proc = proc
    -- Reads its answers and hands each to the request that waits for it.
    local buf = ""
    while true do
      local chunk = await(proc.stdout:read(65536))
      if chunk == "" then break end
      buf = buf .. chunk
      while true do
        local nl = buf:find("\n", 1, true)
        if not nl then break end
        local line = buf:sub(1, nl - 1)
        buf = buf:sub(nl + 1)
        -- Read for its id and type; passed on as it came (a decoded and
        -- encoded again JSON would turn [] into {}).
        local okj, msg = pcall(json.decode, line)
        if okj and type(msg) == "table" then
          if msg.type == "ready" then
            backend.ready:set()
          else
            local q = backend.waiting[msg.id]
            if q then q:put_nowait({type = msg.type, line = line}) end
          end
        end
      end
    end
    -- It is gone: whoever waits is told so; the next job starts a new one.
    backend.proc = nil
    backend.failure = "the process that runs the code stopped; try again"
    for _, q in pairs(backend.waiting) do
      q:put_nowait({type = "error", line = json.encode({type = "error", message = backend.failure})})
      q:put_nowait({type = "end", line = '{"type":"end"}'})
    end
    backend.waiting = {}
    backend.ready:set()
  end)())
end

-- One job at a time: the backend runs them in order anyway, and a job
-- streams until its end.
local job_lock = asyncio.Lock()

-- Sends a request; returns a queue that receives its answers up to "end".
local function submit(request)
  start_backend()
  await(backend.ready:wait())
  if not backend.proc then error(backend.failure or "the process that runs the code did not start") end
  backend.next_id = backend.next_id + 1
  local id = backend.next_id
  request.id = id
  local q = asyncio.Queue()
  backend.waiting[id] = q
  backend.proc.stdin:write(json.encode(request) .. "\n")
  await(backend.proc.stdin:drain())
  return q, id
end

-- A response that streams the job's answers as JSON lines, as they come.
-- The job is a task of its own that reads its answers to the end, so a
-- browser that goes away in the middle leaves nothing behind.
local function stream_job(request)
  local out = asyncio.Queue()
  asyncio.create_task(async(function()
    local _ <close> = await(job_lock:hold())
    local ok, err = pcall(function()
      local q, id = submit(request)
      while true do
        local msg = await(q:get())
        out:put_nowait(msg)
        if msg.type == "end" then
          backend.waiting[id] = nil
          return
        end
      end
    end)
    if not ok then
      if asyncio.CancelledError:is(err) then error(err, 0) end
      out:put_nowait({type = "error", line = json.encode({type = "error", message = tostring(err)})})
      out:put_nowait({type = "end", line = '{"type":"end"}'})
    end
  end)())
  local done = false
  return {
    status = 200,
    headers = {["content-type"] = "application/x-ndjson", ["cache-control"] = "no-store"},
    body = async(function()
      if done then return nil end
      local msg = await(out:get())
      if msg.type == "end" then done = true end
      return msg.line .. "\n"
    end),
  }
end

-- ---------------------------------------------------------------- routes

local function save(name, source)
  local ok, err = native.save(name, source)
  if not ok then return nil, refuse(err:find("no exercise", 1, true) and 404 or 500, err) end
  return true
end

local routes = {}

routes["GET /favicon.ico"] = function()
  return {status = 200, headers = {["content-type"] = "image/svg+xml"}, body = native.asset("favicon.svg")}
end

-- The backend starts once the first page is out (or after half a second):
-- starting it is a fork and an exec, which should not delay that page.
local backend_wanted = nil
local function want_backend(delay)
  if backend_wanted then return end
  backend_wanted = asyncio.create_task(async(function()
    await(asyncio.sleep(delay))
    start_backend()
  end)())
end

routes["GET /"] = function(req)
  want_backend(0.02)
  local page = native.asset("index.html")
  page = page:gsub("{{TOKEN}}", TOKEN)
  return {
    status = 200,
    headers = {
      ["content-type"] = "text/html; charset=utf-8",
      ["cache-control"] = "no-store",
      ["set-cookie"] = cookie_name .. "=" .. TOKEN .. "; Path=/; HttpOnly; SameSite=Strict",
      ["content-security-policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " ..
        "connect-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      ["x-content-type-options"] = "nosniff",
    },
    body = page,
  }
end

local function route(req)
  local method, path = req.method, req.path
  if method == "HEAD" then method = "GET" end
  local fixed = routes[method .. " " .. path]
  if fixed then return fixed(req) end
  local rest = path:match("^/static/(.+)$")
  if rest and method == "GET" then
    local body, ctype = native.asset(decode_path(rest))
    if not body then return refuse(404, "not found") end
    return {status = 200, headers = {["content-type"] = ctype, ["cache-control"] = "no-cache",
      ["x-content-type-options"] = "nosniff"}, body = body}
  end
  if method == "GET" and path == "/api/catalog" then return json_response(native.catalog()) end
  rest = path:match("^/api/lesson/([^/]+)$")
  if rest and method == "GET" then return json_response(native.lesson(decode_path(rest))) end
  rest = path:match("^/api/exercise/([^/]+)$")
  if rest then
    local name = decode_path(rest)
    if method == "GET" then return json_response(native.exercise(name)) end
    if method == "PUT" then
      local ok, res = save(name, req.body)
      if not ok then return res end
      return json_response('{"saved":true}')
    end
  end
  local op, name = path:match("^/api/(%a+)/([^/]+)$")
  if method == "POST" and name then
    name = decode_path(name)
    if op == "run" or op == "check" then
      local ok, res = save(name, req.body)
      if not ok then return res end
      return stream_job({op = op, exercise = name, source = req.body})
    elseif op == "hint" then
      return json_response(native.hint(name))
    elseif op == "reset" then
      return json_response(native.reset(name))
    end
  end
  local lesson, example = path:match("^/api/example/([^/]+)/([^/]+)$")
  if method == "POST" and example then
    return stream_job({op = "example", lesson = decode_path(lesson), example = decode_path(example), source = req.body})
  end
  return refuse(404, "not found")
end

local handler = async(function(req)
  local ok, refusal = allowed(req)
  if not ok then return refusal end
  return route(req)
end)

-- ---------------------------------------------------------------- main

asyncio.run(async(function()
  local server <close> = await(http.serve(handler, {host = "127.0.0.1", port = config.port, max_body = 1 << 20}))
  local port = server.port
  cookie_name = "luasync_tour_" .. port
  for _, h in ipairs({"127.0.0.1", "localhost"}) do hosts[h .. ":" .. port] = true end
  local url = "http://" .. config.url_host .. ":" .. port .. "/?token=" .. TOKEN
  native.ready(url)
  asyncio.create_task(async(function()
    await(asyncio.sleep(0.5))
    want_backend(0)
  end)())
  await(server:serve_forever())
end)())
