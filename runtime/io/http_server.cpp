// http_server.cpp: see http_server.h.
#include "http_server.h"

#include <h2o.h>
#include <h2o/http1.h>
#include <unistd.h>
#include <sys/socket.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "future.h"
#include "http_common.h"
#include "io.h"
#include "loop.h"
#include "lua_ref.h"
#include "stream.h"
#include "tls.h"
#include "trampoline.h"

namespace luasync {

namespace {

using httpd::data_id;
using httpd::id_data;
using httpd::IdMap;
using httpd::live_loop;
using httpd::main_ref;

constexpr const char* kServerMT = "asyncio._http.Server";
constexpr const char* kExchangeMT = "asyncio._http.Exchange";

// Bodies up to this size are copied into the request's memory pool; larger
// ones into a buffer owned by the request hook.
constexpr size_t kPoolBodyMax = 16 * 1024;

struct Server;
struct Exchange;

thread_local IdMap<Server> g_servers;
thread_local IdMap<Exchange> g_exchanges;

// Lives in the request's memory pool, so exactly as long as the request.
struct ReqHook {
  h2o_generator_t gen;  // the generator of a streamed response
  Server* server;
  uint64_t exchange_id;  // 0 until the exchange userdata exists
  char* inflight;        // body bytes being written (malloc'd), or null
  bool abort_pending;    // end the response with an error once writable
  bool parked;           // our write is blocked on the peer (see park_if_blocked)
};

// One request/response, owned by its Lua userdata.
struct Exchange {
  uint64_t id = 0;
  Server* server = nullptr;  // null once the server is freed
  h2o_req_t* req = nullptr;  // null once h2o disposed of the request
  ReqHook* hook = nullptr;
  bool started = false;   // response head sent (streaming)
  bool finished = false;  // the final part was handed to h2o
  bool writable = true;   // no streamed chunk in flight
  LuaRef waiter;
  bool waiting = false;
  bool notify_scheduled = false;
  // upgrade(): the future of reader, writer; the socket's duplicate, its
  // TLS session on an HTTPS server (a reference), and the bytes that came
  // after the request, decrypted (set by on_upgraded).
  LuaRef upgrade_waiter;
  int upgrade_fd = -1;
  SSL* upgrade_ssl = nullptr;
  int upgrade_err = 0;
  std::string upgrade_early;

  void notify();
};

struct Conn {
  uv_tcp_t tcp;  // first: the close callback gets its address
  Server* server;
  h2o_socket_t* sock;
};

// h2o's context with the server it belongs to: the handler is shared by
// every server with the same configuration (shared_config), so it finds its
// server through the request's context.
struct ServerCtx {
  h2o_context_t ctx;  // first: a request's conn->ctx points here
  Server* server;
};

struct Pending {
  h2o_req_t* req;
  ReqHook* hook;
};

struct Server {
  uint64_t id = 0;
  uint64_t loop_id = 0;
  Loop* loop = nullptr;
  ServerCtx sctx;
  h2o_context_t& ctx = sctx.ctx;
  h2o_accept_ctx_t accept_ctx;
  uv_tcp_t listener;
  bool ctx_ready = false;
  int open_handles = 0;  // listener + connections not yet closed
  bool closing = false;  // close() was called
  bool aborting = false; // abort() was called: refuse what comes in
  uint64_t hook_id = 0;  // the loop's close hook
  bool disposed = false; // h2o context disposed: fully closed
  bool lua_alive = true; // the userdata exists
  bool finalize_scheduled = false;
  LuaRef spawn;          // Lua function(exchange, request)
  std::vector<Pending> pending;
  bool dispatch_scheduled = false;
  std::unordered_set<Conn*> conns;
  std::unordered_map<h2o_socket_t*, Conn*> by_sock;
  std::unordered_set<Exchange*> exchanges;
  std::vector<LuaRef> close_waiters;
  std::string host;
  int port = 0;
  bool listening = false;  // registered with add_local_listener
  uint64_t connections_total = 0, requests_total = 0;

  void handle_closed();
};

// ---------------------------------------------------------------- exchange wakeups

void on_exchange_notify(lua_State* L, void* data) {
  Exchange* ex = g_exchanges.find(data_id(data));
  if (!ex) return;
  ex->notify_scheduled = false;
  if (ex->waiting) {
    ex->waiting = false;
    httpd::wake_future(L, ex->waiter);
  }
}

void Exchange::notify() {
  if (!waiting || notify_scheduled || !server || !server->loop) return;
  notify_scheduled = true;
  server->loop->schedule_native(on_exchange_notify, id_data(id));
}

// ---------------------------------------------------------------- h2o side

void dispatch(lua_State* L, void* data);

// A write that the peer does not take (it is not reading) would keep the
// virtual clock waiting for I/O forever, while the reader may be a task
// sleeping on that clock: such a write is parked (Loop::park_request) until
// it completes.
void unpark(ReqHook* hook) {
  if (!hook->parked) return;
  hook->parked = false;
  hook->server->loop->unpark_request();
}

// The request is being disposed of (response done, or connection gone).
void on_req_dispose(void* p) {
  auto* hook = static_cast<ReqHook*>(p);
  unpark(hook);
  std::free(hook->inflight);
  hook->inflight = nullptr;
  if (hook->exchange_id) {
    if (Exchange* ex = g_exchanges.find(hook->exchange_id)) {
      ex->req = nullptr;
      ex->hook = nullptr;
      ex->writable = true;
      ex->notify();
    }
  } else if (hook->server) {
    auto& q = hook->server->pending;
    for (auto& pr : q)
      if (pr.hook == hook) pr.req = nullptr;
  }
}

// A streamed chunk has been written: the next one may go.
void on_proceed(h2o_generator_t* gen, h2o_req_t* req) {
  auto* hook = reinterpret_cast<ReqHook*>(gen);
  unpark(hook);
  std::free(hook->inflight);
  hook->inflight = nullptr;
  if (hook->abort_pending) {
    hook->abort_pending = false;
    req->http1_is_persistent = 0;
    h2o_send(req, nullptr, 0, H2O_SEND_STATE_ERROR);
    return;
  }
  if (Exchange* ex = g_exchanges.find(hook->exchange_id)) {
    ex->writable = true;
    ex->notify();
  }
}

void on_stop(h2o_generator_t*, h2o_req_t*) {}

int on_req(h2o_handler_t* self, h2o_req_t* req);

// h2o's configuration for servers with the given body limit, made once and
// kept for the life of the process: making one (with its table of MIME
// types) cost more than the rest of starting a server, and the lesson
// sandbox starts a test server for every check. Contexts only read it.
constexpr size_t kDefaultMaxBody = 64 * 1024 * 1024;

struct ConfigCache {
  std::unordered_map<size_t, h2o_globalconf_t*> configs;
  ~ConfigCache() {  // at exit: every server is gone by then
    for (auto& [max_body, config] : configs) {
      h2o_config_dispose(config);
      delete config;
    }
  }
};

h2o_globalconf_t* shared_config(size_t max_body) {
  static ConfigCache cache;
  auto& configs = cache.configs;
  auto it = configs.find(max_body);
  if (it != configs.end()) return it->second;
  auto* config = new h2o_globalconf_t;
  h2o_config_init(config);
  config->server_name = h2o_iovec_init(H2O_STRLIT("luasync"));
  config->max_request_entity_size = max_body;
  config->http1.upgrade_to_http2 = 0;  // HTTP/1.1 only
  h2o_hostconf_t* hostconf = h2o_config_register_host(config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* pathconf = h2o_config_register_path(hostconf, "/", 0);
  h2o_handler_t* handler = h2o_create_handler(pathconf, sizeof(h2o_handler_t));
  handler->on_req = on_req;
  configs.emplace(max_body, config);
  return config;
}

// h2o's handler: queue the request for dispatch from the ready queue.
int on_req(h2o_handler_t* self, h2o_req_t* req) {
  Server* s = reinterpret_cast<ServerCtx*>(req->conn->ctx)->server;
  auto* hook = static_cast<ReqHook*>(h2o_mem_alloc_shared(&req->pool, sizeof(ReqHook), on_req_dispose));
  std::memset(hook, 0, sizeof *hook);
  hook->gen.proceed = on_proceed;
  hook->gen.stop = on_stop;
  hook->server = s;
  if (s->closing) req->http1_is_persistent = 0;
  if (s->aborting) {
    h2o_send_error_generic(req, 503, "Service Unavailable", "Service Unavailable", 0);
    return 0;
  }
  s->pending.push_back({req, hook});
  s->requests_total++;
  if (!s->dispatch_scheduled) {
    s->dispatch_scheduled = true;
    s->loop->schedule_native(dispatch, id_data(s->id));
  }
  return 0;
}

void conn_closed(uv_handle_t* h) {
  auto* c = reinterpret_cast<Conn*>(h);
  Server* s = c->server;
  s->conns.erase(c);
  if (c->sock) s->by_sock.erase(c->sock);
  delete c;
  s->handle_closed();
}

void on_accept(uv_stream_t* listener, int status) {
  auto* s = static_cast<Server*>(listener->data);
  if (status < 0 || s->closing) return;
  auto* c = new Conn();
  c->server = s;
  uv_tcp_init(listener->loop, &c->tcp);
  s->open_handles++;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    c->tcp.data = nullptr;
    s->conns.insert(c);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), conn_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  s->conns.insert(c);
  s->connections_total++;
  c->sock = h2o_uv_socket_create(reinterpret_cast<uv_stream_t*>(&c->tcp), conn_closed);
  s->by_sock[c->sock] = c;
  h2o_accept(&s->accept_ctx, c->sock);
}

// Stops reading on the connection: an idle one sees end-of-file and h2o
// closes it; a busy one finishes its response, then sees end-of-file.
void shut_conn(Conn* c, int how) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->tcp), &fd) == 0) ::shutdown(fd, how);
}

void finalize(lua_State* L, void* data);
void server_loop_closing(lua_State* L, void* data);

void Server::handle_closed() {
  if (--open_handles == 0 && closing && !finalize_scheduled) {
    finalize_scheduled = true;
    loop->schedule_native(finalize, id_data(id));
  }
}

void listener_closed(uv_handle_t* h) { static_cast<Server*>(h->data)->handle_closed(); }

void server_free(Server* s) {
  for (Exchange* ex : s->exchanges) {
    ex->server = nullptr;
    ex->req = nullptr;
    ex->hook = nullptr;
  }
  g_servers.remove(s->id);
  if (s->accept_ctx.ssl_ctx) SSL_CTX_free(s->accept_ctx.ssl_ctx);
  delete s;
}

// Every connection has closed: dispose of h2o's context (Lua context: it
// runs libuv once to close its timers) and wake wait_closed().
void finalize(lua_State* L, void* data) {
  Server* s = g_servers.find(data_id(data));
  if (!s) return;
  if (s->hook_id) s->loop->remove_close_hook(s->hook_id);
  s->hook_id = 0;
  if (s->ctx_ready) {
    h2o_context_dispose(&s->ctx);
    s->ctx_ready = false;
  }
  s->disposed = true;
  for (LuaRef& w : s->close_waiters) httpd::wake_future(L, w);
  s->close_waiters.clear();
  s->spawn.reset();
  if (!s->lua_alive) server_free(s);
}

// Starts closing: no new connections, idle ones close now, busy ones after
// their response. Lua context.
void server_close(Server* s) {
  if (s->closing) return;
  s->closing = true;
  if (s->listening) remove_local_listener(s->port);
  s->listening = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&s->listener), listener_closed);
  // What h2o_context_request_shutdown does for HTTP/1 (whose callback is
  // empty): later requests are answered with "Connection: close". (Not the
  // call itself: its HTTP/2 part arms a timer that outlives the context.)
  s->ctx.shutdown_requested = 1;
  for (Conn* c : s->conns) shut_conn(c, SHUT_RD);
}

// ---------------------------------------------------------------- dispatch

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 418: return "I'm a teapot";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  if (status < 200) return "Informational";
  if (status < 300) return "Success";
  if (status < 400) return "Redirection";
  if (status < 500) return "Client Error";
  return "Server Error";
}

// Ends the response of a request that is still open with an error: a plain
// error response if nothing was sent yet, else a truncated one (at once if
// no chunk is being written, else when it has been).
void end_with_error(h2o_req_t* req, ReqHook* hook, bool started, bool writable, int status) {
  req->http1_is_persistent = 0;
  if (!started) {
    h2o_send_error_generic(req, status, reason_phrase(status), reason_phrase(status), 0);
  } else if (writable) {
    h2o_send(req, nullptr, 0, H2O_SEND_STATE_ERROR);
  } else {
    hook->abort_pending = true;
  }
}

void setfield_str(lua_State* L, const char* k, const char* s, size_t n) {
  lua_pushlstring(L, s, n);
  lua_setfield(L, -2, k);
}

// Pushes the Lua request table for req:
//   {method, path, query, headers = {name = value}, body, version, remote}
void push_request(lua_State* L, h2o_req_t* req) {
  lua_createtable(L, 0, 8);
  setfield_str(L, "method", req->input.method.base, req->input.method.len);
  const char* p = req->input.path.base;
  size_t plen = req->input.path.len;
  const char* q = static_cast<const char*>(std::memchr(p, '?', plen));
  size_t path_len = q ? static_cast<size_t>(q - p) : plen;
  setfield_str(L, "path", p, path_len);
  if (q)
    setfield_str(L, "query", q + 1, plen - path_len - 1);
  else
    setfield_str(L, "query", "", 0);
  lua_createtable(L, 0, static_cast<int>(req->headers.size) + 2);
  if (req->input.authority.base) {
    lua_pushlstring(L, req->input.authority.base, req->input.authority.len);
    lua_setfield(L, -2, "host");
  }
  for (size_t i = 0; i < req->headers.size; i++) {
    const h2o_header_t& h = req->headers.entries[i];
    lua_pushlstring(L, h.name->base, h.name->len);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) {  // repeated: join with ", "
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, h.value.base, h.value.len);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, h.value.base, h.value.len);
    }
    lua_rawset(L, -3);
  }
  if (req->entity.base) {
    lua_pushfstring(L, "%I", static_cast<lua_Integer>(req->entity.len));
    lua_setfield(L, -2, "content-length");
  }
  if (req->upgrade.base) {  // h2o keeps it apart from the headers
    lua_pushlstring(L, req->upgrade.base, req->upgrade.len);
    lua_setfield(L, -2, "upgrade");
  }
  lua_setfield(L, -2, "headers");
  if (req->entity.base)
    setfield_str(L, "body", req->entity.base, req->entity.len);
  else
    setfield_str(L, "body", "", 0);
  lua_pushstring(L, req->version >= 0x101 ? "1.1" : "1.0");
  lua_setfield(L, -2, "version");
  struct sockaddr_storage ss;
  socklen_t sl = req->conn->callbacks->get_peername(req->conn, reinterpret_cast<struct sockaddr*>(&ss));
  char addr[64] = "";
  if (sl && ss.ss_family == AF_INET)
    uv_ip4_name(reinterpret_cast<struct sockaddr_in*>(&ss), addr, sizeof addr);
  else if (sl && ss.ss_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<struct sockaddr_in6*>(&ss), addr, sizeof addr);
  lua_pushstring(L, addr);
  lua_setfield(L, -2, "remote");
}

int spawn_failed(lua_State* L) {
  std::fprintf(stderr, "http.serve: cannot start the handler: %s\n", luaL_tolstring(L, 1, nullptr));
  std::fflush(stderr);
  return 0;
}

// From the ready queue: a task for each queued request. (Entries are read
// by index: the queue may grow meanwhile, and on_req_dispose marks entries
// of requests that went away before their turn.)
void dispatch(lua_State* L, void* data) {
  Server* s = g_servers.find(data_id(data));
  if (!s) return;
  s->dispatch_scheduled = false;
  for (size_t i = 0; i < s->pending.size(); i++) {
    Pending pr = s->pending[i];
    if (!pr.req) continue;  // disposed of before its turn
    int top = lua_gettop(L);
    luaL_checkstack(L, 8, "http.serve");
    push_fn<spawn_failed>(L);
    s->spawn.push(L);
    auto** slot = static_cast<Exchange**>(lua_newuserdatauv(L, sizeof(Exchange*), 0));
    *slot = nullptr;
    luaL_setmetatable(L, kExchangeMT);
    auto* ex = new Exchange();
    *slot = ex;
    ex->id = g_exchanges.add(ex);
    ex->server = s;
    ex->req = pr.req;
    ex->hook = pr.hook;
    pr.hook->exchange_id = ex->id;
    s->pending[i].req = nullptr;
    s->exchanges.insert(ex);
    push_request(L, pr.req);
    lua_pushvalue(L, -2);  // keeps the exchange alive past the call
    lua_insert(L, top + 1);
    if (lua_pcall(L, 2, 0, top + 2) != LUA_OK && ex->req && !ex->finished) {
      ex->finished = true;  // no task will answer: do it now
      end_with_error(ex->req, ex->hook, ex->started, ex->writable, 500);
    }
    lua_settop(L, top);
  }
  s->pending.clear();
}

// ---------------------------------------------------------------- Lua: Exchange

Exchange* check_exchange(lua_State* L) {
  auto** slot = static_cast<Exchange**>(luaL_checkudata(L, 1, kExchangeMT));
  if (!*slot) luaL_error(L, "attempt to use a finished exchange");
  return *slot;
}

// Adds the response headers from the table at idx ({name = value}); skips
// those h2o writes itself.
void add_headers(lua_State* L, int idx, h2o_req_t* req) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t nlen, vlen;
      const char* name = lua_tolstring(L, -2, &nlen);
      const char* value = luaL_tolstring(L, -1, &vlen);
      h2o_iovec_t n = h2o_strdup(&req->pool, name, nlen);
      h2o_strtolower(n.base, n.len);
      bool skip = h2o_memis(n.base, n.len, H2O_STRLIT("content-length")) ||
                  h2o_memis(n.base, n.len, H2O_STRLIT("transfer-encoding")) ||
                  h2o_memis(n.base, n.len, H2O_STRLIT("connection")) ||
                  h2o_memis(n.base, n.len, H2O_STRLIT("date"));
      if (!skip) {
        h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
        h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, name, v.base, v.len);
      }
      lua_pop(L, 1);  // luaL_tolstring's copy
    }
    lua_pop(L, 1);
  }
}

void set_status(lua_State* L, h2o_req_t* req, int status_idx) {
  lua_Integer st = luaL_checkinteger(L, status_idx);
  if (st < 100 || st > 999) luaL_argerror(L, status_idx, "HTTP status between 100 and 999 expected");
  req->res.status = static_cast<int>(st);
  req->res.reason = reason_phrase(static_cast<int>(st));
  if (req->conn->ctx->shutdown_requested) req->http1_is_persistent = 0;
}

// After h2o_send: if libuv could not hand all the bytes to the kernel, the
// write waits for the peer to read: park it (see unpark).
void park_if_blocked(Server* s, h2o_req_t* req, ReqHook* hook) {
  if (hook->parked || !req) return;
  h2o_socket_t* sock = req->conn->callbacks->get_socket(req->conn);
  auto it = s->by_sock.find(sock);
  if (it == s->by_sock.end()) return;
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&it->second->tcp)) > 0) {
    hook->parked = true;
    s->loop->park_request();
  }
}

bool is_head(h2o_req_t* req) { return h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")); }

// ex:respond(status, headers, body) -> whether the client was still there.
int l_ex_respond(lua_State* L) {
  Exchange* ex = check_exchange(L);
  size_t blen = 0;
  const char* body = lua_isnoneornil(L, 4) ? "" : luaL_checklstring(L, 4, &blen);
  if (ex->started || ex->finished) luaL_error(L, "the response has already been started");
  h2o_req_t* req = ex->req;
  ex->finished = true;
  if (!req) {
    lua_pushboolean(L, 0);
    return 1;
  }
  set_status(L, req, 2);
  add_headers(L, 3, req);
  req->res.content_length = blen;
  h2o_iovec_t buf = {nullptr, 0};
  if (!is_head(req) && blen > 0) {
    if (blen <= kPoolBodyMax) {
      buf = h2o_strdup(&req->pool, body, blen);
    } else {
      char* copy = static_cast<char*>(std::malloc(blen));
      if (!copy) luaL_error(L, "not enough memory for the response body");
      std::memcpy(copy, body, blen);
      ex->hook->inflight = copy;
      buf = h2o_iovec_init(copy, blen);
    }
  }
  h2o_start_response(req, &ex->hook->gen);
  ReqHook* hook = ex->hook;
  h2o_send(req, &buf, buf.len ? 1 : 0, H2O_SEND_STATE_FINAL);
  if (buf.len && ex->req) park_if_blocked(ex->server, ex->req, hook);
  lua_pushboolean(L, 1);
  return 1;
}

// ex:start(status, headers): sends the head of a streamed (chunked) response.
int l_ex_start(lua_State* L) {
  Exchange* ex = check_exchange(L);
  if (ex->started || ex->finished) luaL_error(L, "the response has already been started");
  ex->started = true;
  h2o_req_t* req = ex->req;
  if (!req) {
    lua_pushboolean(L, 0);
    return 1;
  }
  set_status(L, req, 2);
  add_headers(L, 3, req);
  h2o_start_response(req, &ex->hook->gen);
  lua_pushboolean(L, 1);
  return 1;
}

// ex:send(chunk [, final]) -> whether the client was still there. One chunk
// at a time: wait for ex:wait_writable() before the next.
int l_ex_send(lua_State* L) {
  Exchange* ex = check_exchange(L);
  size_t len;
  const char* chunk = luaL_checklstring(L, 2, &len);
  bool final = lua_toboolean(L, 3);
  if (!ex->started) luaL_error(L, "send() before start()");
  if (ex->finished) luaL_error(L, "send() after the final chunk");
  if (!ex->writable && ex->req) luaL_error(L, "send() while the previous chunk is being written");
  if (final) ex->finished = true;
  h2o_req_t* req = ex->req;
  if (!req) {
    lua_pushboolean(L, 0);
    return 1;
  }
  h2o_iovec_t buf = {nullptr, 0};
  if (len > 0 && !is_head(req)) {
    char* copy = static_cast<char*>(std::malloc(len));
    if (!copy) luaL_error(L, "not enough memory for the response body");
    std::memcpy(copy, chunk, len);
    std::free(ex->hook->inflight);
    ex->hook->inflight = copy;
    buf = h2o_iovec_init(copy, len);
  }
  if (!final) ex->writable = false;
  ReqHook* hook = ex->hook;
  h2o_send(req, &buf, buf.len ? 1 : 0, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
  if (buf.len && ex->req) park_if_blocked(ex->server, ex->req, hook);
  lua_pushboolean(L, 1);
  return 1;
}

// ex:wait_writable() -> nil when the next chunk may be sent (or the client
// is gone), else a future to await first.
int l_ex_wait_writable(lua_State* L) {
  Exchange* ex = check_exchange(L);
  if (ex->writable || !ex->req) return 0;
  push_new_future(L);
  ex->waiter = main_ref(L, -1);
  ex->waiting = true;
  return 1;
}

// ex:abort([status]): ends the exchange with an error: a plain error response
// if nothing was sent yet (default 500), else a truncated response.
int l_ex_abort(lua_State* L) {
  Exchange* ex = check_exchange(L);
  int status = static_cast<int>(luaL_optinteger(L, 2, 500));
  if (status < 400 || status > 599) status = 500;
  bool was_finished = ex->finished;
  ex->finished = true;
  if (was_finished || !ex->req) return 0;
  end_with_error(ex->req, ex->hook, ex->started, ex->writable, status);
  ex->writable = false;
  return 0;
}

// ex:connected() -> whether h2o still has the request (client not gone).
int l_ex_connected(lua_State* L) {
  lua_pushboolean(L, check_exchange(L)->req != nullptr);
  return 1;
}

int l_ex_gc(lua_State* L) {
  auto** slot = static_cast<Exchange**>(luaL_checkudata(L, 1, kExchangeMT));
  Exchange* ex = *slot;
  if (!ex) return 0;
  *slot = nullptr;
  Server* s = ex->server;
  if (s) {
    // Never leave h2o with a request that nobody will answer.
    if (ex->req && !ex->finished && live_loop(L, s->loop_id))
      end_with_error(ex->req, ex->hook, ex->started, ex->writable, 500);
    s->exchanges.erase(ex);
  }
  g_exchanges.remove(ex->id);
  if (ex->upgrade_fd >= 0) ::close(ex->upgrade_fd);
  if (ex->upgrade_ssl) SSL_free(ex->upgrade_ssl);
  delete ex;
  return 0;
}

// ---------------------------------------------------------------- upgrades

// From the ready queue: the upgraded connection as a luasync stream (with
// the TLS session h2o negotiated, on an HTTPS server).
void on_upgrade_ready(lua_State* L, void* data) {
  Exchange* ex = g_exchanges.find(data_id(data));
  if (!ex || !ex->upgrade_waiter) return;
  Server* s = ex->server;
  ex->upgrade_waiter.push(L);
  ex->upgrade_waiter.reset();
  Future* f = to_future(L, -1);
  Loop* loop = s ? live_loop(L, s->loop_id) : nullptr;
  SSL* ssl = ex->upgrade_ssl;
  ex->upgrade_ssl = nullptr;
  if (!loop || ex->upgrade_fd < 0 || f->done()) {
    if (ex->upgrade_fd >= 0) ::close(ex->upgrade_fd);
    ex->upgrade_fd = -1;
    if (ssl) SSL_free(ssl);
    if (!f->done()) {
      push_os_error(L, ex->upgrade_err ? ex->upgrade_err : UV_ECONNRESET);
      reject_top(L, -2);
    }
    return;
  }
  auto* st = new Stream(loop, Stream::Kind::Tcp, 64 * 1024);
  int fd = ex->upgrade_fd;
  ex->upgrade_fd = -1;
  if (uv_tcp_open(st->tcp(), fd) != 0) {
    ::close(fd);
    if (ssl) SSL_free(ssl);
    st->abort();
    push_os_error(L, UV_EBADF);
    reject_top(L, -2);
    return;
  }
  uv_tcp_nodelay(st->tcp(), 1);
  if (ssl) adopt_server_tls(st, ssl);  // the stream owns the session now
  if (!ex->upgrade_early.empty()) {
    st->deliver(ex->upgrade_early.data(), ex->upgrade_early.size());
    std::string().swap(ex->upgrade_early);
  }
  st->start_reading();
  st->push_reader(L);
  st->push_writer(L);
  resolve_top(L, -3, 2);
}

// h2o keeps an HTTPS connection's TLS state in its private struct
// st_h2o_socket_ssl_t (lib/common/socket.c), which begins, in h2o 2.2 as in
// later versions, with the SSL_CTX it was made from and the SSL. No public
// function hands out the SSL, so the websocket takes it from there; the
// layout is checked against the server's own context before the SSL is
// touched. Returns a new reference to the SSL, detached from h2o's BIO (the
// caller gives it memory BIOs), or null.
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR == 2
struct H2oSslHead {
  SSL_CTX* ssl_ctx;
  SSL* ossl;
};
SSL* take_h2o_ssl(struct st_h2o_socket_ssl_t* h2o_ssl, SSL_CTX* expected) {
  auto* head = reinterpret_cast<H2oSslHead*>(h2o_ssl);
  if (!head || !expected || head->ssl_ctx != expected || !head->ossl) return nullptr;
  SSL* ssl = head->ossl;
  if (SSL_get_SSL_CTX(ssl) != expected || !SSL_is_init_finished(ssl) || SSL_up_ref(ssl) != 1) return nullptr;
  SSL_set_bio(ssl, nullptr, nullptr);  // h2o's BIO points at its socket, which is going away
  return ssl;
}
#else
SSL* take_h2o_ssl(struct st_h2o_socket_ssl_t*, SSL_CTX*) { return nullptr; }  // layout unknown: refuse
#endif

// h2o wrote the 101 and hands over the socket (nullptr: it failed). No Lua
// here: h2o exports the socket (a duplicate of its descriptor, the bytes
// read after the request, its TLS state) and closes its own; the rest
// happens from the ready queue.
void on_upgraded(void* data, h2o_socket_t* sock, size_t reqsize) {
  Exchange* ex = g_exchanges.find(data_id(data));
  if (sock && !(ex && ex->server)) {
    h2o_socket_close(sock);
  } else if (sock) {
    h2o_socket_export_t info;
    if (h2o_socket_export(sock, &info) != 0) {  // (closes sock only when it succeeds)
      h2o_socket_close(sock);
      ex->upgrade_err = UV_EMFILE;
    } else {
      bool ok = true;
      if (info.ssl) {
        ex->upgrade_ssl = take_h2o_ssl(info.ssl, ex->server->accept_ctx.ssl_ctx);
        if (!ex->upgrade_ssl) {
          ok = false;
          ex->upgrade_err = UV_ENOTSUP;
        }
      }
      if (ok) {
        ex->upgrade_fd = ::dup(info.fd);
        if (ex->upgrade_fd < 0) ex->upgrade_err = UV_EMFILE;
        if (info.input->size > reqsize) ex->upgrade_early.assign(info.input->bytes + reqsize, info.input->size - reqsize);
      }
      h2o_socket_dispose_export(&info);  // (drops h2o's reference to the SSL)
    }
  } else if (ex) {
    ex->upgrade_err = UV_ECONNRESET;
  }
  if (ex && ex->server && ex->server->loop) ex->server->loop->schedule_native(on_upgrade_ready, data);
}

// ex:upgrade(headers) -> future of reader, writer: answers 101 Switching
// Protocols with headers (plus "connection: upgrade") and hands the
// connection over as a luasync stream (over TLS on an HTTPS server).
int l_ex_upgrade(lua_State* L) {
  Exchange* ex = check_exchange(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (ex->started || ex->finished) luaL_error(L, "the response has already been started");
  h2o_req_t* req = ex->req;
  if (!req) luaL_error(L, "the client has gone away");
  if (req->version >= 0x200) luaL_error(L, "websockets need HTTP/1.1");
  push_new_future(L);
  future_set_label(L, -1, "websocket upgrade");
  ex->upgrade_waiter = main_ref(L, -1);
  add_headers(L, 2, req);
  req->res.status = 101;
  req->res.reason = "Switching Protocols";
  ex->started = true;
  ex->finished = true;
  h2o_http1_upgrade(req, nullptr, 0, on_upgraded, id_data(ex->id));
  return 1;
}

// ---------------------------------------------------------------- Lua: Server

Server* check_server(lua_State* L) {
  auto** slot = static_cast<Server**>(luaL_checkudata(L, 1, kServerMT));
  if (!*slot) luaL_error(L, "attempt to use a freed server");
  return *slot;
}

// _http.listen(host, port, spawn [, opts]) -> server. opts: max_body (bytes),
// backlog. spawn(exchange, request) is called for each request.
int l_listen(lua_State* L) {
  const char* host = luaL_checkstring(L, 1);
  lua_Integer port = luaL_checkinteger(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_Integer max_body = kDefaultMaxBody;
  lua_Integer backlog = 1024;
  SSL_CTX* ssl_ctx = nullptr;  // HTTPS (owned by the context userdata in opts)
  if (lua_istable(L, 4)) {
    if (lua_getfield(L, 4, "max_body") != LUA_TNIL) max_body = luaL_checkinteger(L, -1);
    if (lua_getfield(L, 4, "backlog") != LUA_TNIL) backlog = luaL_checkinteger(L, -1);
    if (lua_getfield(L, 4, "ssl") != LUA_TNIL) ssl_ctx = check_ssl_context(L, -1);
    lua_pop(L, 3);
  }
  Loop* loop = runtime(L)->loop;
  if (!loop) luaL_error(L, "http.serve: no running event loop (call it inside asyncio.run)");
  if (port < 0 || port > 65535) luaL_argerror(L, 2, "port between 0 and 65535 expected");

  // (No C++ object lives in this frame: the errors below are longjmps.)
  const char* h = std::strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
  struct sockaddr_storage addr;
  if (uv_ip4_addr(h, static_cast<int>(port), reinterpret_cast<struct sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(h, static_cast<int>(port), reinterpret_cast<struct sockaddr_in6*>(&addr)) != 0)
    luaL_error(L, "http.serve: bad host '%s' (an IP address or \"localhost\" expected)", host);

  // SIGPIPE would kill the process when a client goes away mid-response.
  std::signal(SIGPIPE, SIG_IGN);

  auto** slot = static_cast<Server**>(lua_newuserdatauv(L, sizeof(Server*), 0));
  *slot = nullptr;
  luaL_setmetatable(L, kServerMT);
  auto* s = new Server();
  s->id = g_servers.add(s);
  s->loop = loop;
  s->loop_id = loop->id();
  s->host = h;
  s->spawn = main_ref(L, 3);

  uv_tcp_init(loop->uv(), &s->listener);
  s->listener.data = s;
  s->open_handles = 1;
  int rc = net_allowed(reinterpret_cast<struct sockaddr*>(&addr), true)
               ? uv_tcp_bind(&s->listener, reinterpret_cast<struct sockaddr*>(&addr), 0)
               : UV_EACCES;
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s->listener), static_cast<int>(backlog), on_accept);
  if (rc != 0) {
    // Close what we opened; the userdata frees the rest once it has closed.
    s->closing = true;  // finalize() runs once the listener has closed
    uv_close(reinterpret_cast<uv_handle_t*>(&s->listener), listener_closed);
    *slot = s;
    luaL_error(L, "%s: cannot listen on %s:%d: %s", uv_err_name(rc), host, static_cast<int>(port), uv_strerror(rc));
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, reinterpret_cast<struct sockaddr*>(&bound), &blen);
  s->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
  add_local_listener(s->port);
  s->listening = true;

  h2o_globalconf_t* config = shared_config(static_cast<size_t>(max_body));
  s->sctx.server = s;
  h2o_context_init(&s->ctx, loop->uv(), config);
  s->accept_ctx.ctx = &s->ctx;
  s->accept_ctx.hosts = config->hosts;
  if (ssl_ctx) {
    SSL_CTX_up_ref(ssl_ctx);  // released by server_free
    s->accept_ctx.ssl_ctx = ssl_ctx;
  }
  s->ctx_ready = true;
  s->hook_id = loop->add_close_hook(server_loop_closing, s);
  *slot = s;
  return 1;
}

int l_server_port(lua_State* L) {
  lua_pushinteger(L, check_server(L)->port);
  return 1;
}

int l_server_host(lua_State* L) {
  lua_pushstring(L, check_server(L)->host.c_str());
  return 1;
}

int l_server_close(lua_State* L) {
  Server* s = check_server(L);
  if (!s->closing && live_loop(L, s->loop_id)) server_close(s);
  return 0;
}

// Closes and also cuts every connection now: requests not answered yet get
// a 503, responses in progress are truncated. (The Lua layer cancels the
// handler tasks.)
void server_abort(Server* s) {
  server_close(s);
  s->aborting = true;
  for (Pending& pr : s->pending) {
    if (!pr.req) continue;
    h2o_req_t* req = pr.req;
    pr.req = nullptr;
    end_with_error(req, pr.hook, false, true, 503);
  }
  for (Exchange* ex : s->exchanges) {
    if (ex->req && !ex->finished) {
      ex->finished = true;
      end_with_error(ex->req, ex->hook, ex->started, ex->writable, 503);
      ex->writable = false;
    }
  }
  for (Conn* c : s->conns) shut_conn(c, SHUT_RDWR);
}

int l_server_abort(lua_State* L) {
  Server* s = check_server(L);
  if (live_loop(L, s->loop_id)) server_abort(s);
  return 0;
}

// The loop is closing with the server still open: abort it, run libuv
// until its connections have closed (h2o needs a few callbacks for that),
// then dispose of h2o's context.
void server_loop_closing(lua_State* L, void* data) {
  auto* s = static_cast<Server*>(data);
  s->hook_id = 0;
  server_abort(s);
  uv_loop_t* uv = s->loop->uv();
  uv_timer_t tick;  // so that each uv_run(ONCE) returns
  uv_timer_init(uv, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 10, 10);
  uint64_t deadline = uv_hrtime() + 2000000000ull;
  while (s->open_handles > 0 && uv_hrtime() < deadline) uv_run(uv, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(uv, UV_RUN_NOWAIT);  // completes the close of `tick`
  if (s->open_handles == 0) {
    s->finalize_scheduled = true;
    finalize(L, id_data(s->id));
  }
}

int l_server_closing(lua_State* L) {
  lua_pushboolean(L, check_server(L)->closing);
  return 1;
}

// server:wait_closed() -> nil once fully closed, else a future to await.
int l_server_wait_closed(lua_State* L) {
  Server* s = check_server(L);
  if (s->disposed || !live_loop(L, s->loop_id)) return 0;
  push_new_future(L);
  s->close_waiters.push_back(main_ref(L, -1));
  return 1;
}

// server:stats() -> {connections=, connections_total=, requests_total=, handlers=}
int l_server_stats(lua_State* L) {
  Server* s = check_server(L);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, static_cast<lua_Integer>(s->conns.size()));
  lua_setfield(L, -2, "connections");
  lua_pushinteger(L, static_cast<lua_Integer>(s->connections_total));
  lua_setfield(L, -2, "connections_total");
  lua_pushinteger(L, static_cast<lua_Integer>(s->requests_total));
  lua_setfield(L, -2, "requests_total");
  lua_Integer busy = 0;
  for (Exchange* ex : s->exchanges)
    if (ex->req && !ex->finished) busy++;
  lua_pushinteger(L, busy);
  lua_setfield(L, -2, "handlers");
  return 1;
}

int l_server_gc(lua_State* L) {
  auto** slot = static_cast<Server**>(luaL_checkudata(L, 1, kServerMT));
  Server* s = *slot;
  if (!s) return 0;
  *slot = nullptr;
  s->lua_alive = false;
  if (s->disposed && s->open_handles == 0) {
    server_free(s);
  } else if (live_loop(L, s->loop_id)) {
    server_close(s);  // finalize() frees it once everything has closed
  } else {
    // The loop closed under us: libuv closed our handles without telling
    // us, and h2o's structures cannot be disposed of without the loop. Free
    // ours; h2o's remain (a leak only for a server nobody closed).
    server_free(s);
  }
  return 0;
}

}  // namespace

void open_http_server(lua_State* L) {
  static const Reg server_methods[] = {
      {"port", fn<l_server_port>},     {"host", fn<l_server_host>},
      {"close", fn<l_server_close>},   {"abort", fn<l_server_abort>},
      {"closing", fn<l_server_closing>}, {"wait_closed", fn<l_server_wait_closed>},
      {"stats", fn<l_server_stats>},   {nullptr, nullptr},
  };
  static const Reg exchange_methods[] = {
      {"respond", fn<l_ex_respond>},
      {"start", fn<l_ex_start>},
      {"send", fn<l_ex_send>},
      {"wait_writable", fn<l_ex_wait_writable>},
      {"abort", fn<l_ex_abort>},
      {"connected", fn<l_ex_connected>},
      {"upgrade", fn<l_ex_upgrade>},
      {nullptr, nullptr},
  };
  httpd::register_metatable<l_server_gc>(L, kServerMT, server_methods);
  httpd::register_metatable<l_ex_gc>(L, kExchangeMT, exchange_methods);
  push_fn<l_listen>(L);
  lua_setfield(L, -2, "listen");
}

void http_server_preload() { shared_config(kDefaultMaxBody); }

}  // namespace luasync
