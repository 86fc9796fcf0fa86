// tcp.cpp: TCP servers and clients (asyncio.start_server,
// asyncio.open_connection): name resolution through uv_getaddrinfo, the
// listening socket, and the connect attempts. The connections themselves
// are Streams (stream.h).
#include "tcp.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "coro.h"
#include "future.h"
#include "io.h"
#include "stream.h"
#include "task.h"
#include "traceback.h"
#include "udp.h"
#include "scope.h"
#include "trampoline.h"

namespace luasync {

namespace {
constexpr size_t kDefaultLimit = 64 * 1024;  // StreamReader's limit
constexpr int kDefaultBacklog = 511;
}  // namespace

// ================================================================ Server

class Server final : public IoObject {
 public:
  Server(Loop* loop, size_t limit, bool unix_socket = false) : IoObject(loop), limit_(limit), unix_(unix_socket) {
    if (unix_)
      uv_pipe_init(loop->uv(), &h_.pipe, 0);
    else
      uv_tcp_init(loop->uv(), &h_.tcp);
    h_.handle.data = this;
    hold_uv();  // the open handle
  }

  // Binds a Unix socket at path and listens; returns a libuv error or 0. A
  // socket left at path by an earlier server is replaced (as Python does);
  // closing the server removes it (Python 3.13).
  int listen_unix(const char* path, int backlog) {
    struct stat st;
    if (::stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path);
    int r = uv_pipe_bind(&h_.pipe, path);
    if (r == 0) {
      path_ = path;
      r = uv_listen(&h_.stream, backlog, connection_cb);
    }
    if (r == 0) {
      host_ = path;
      listening_ = true;
    }
    return r;
  }

  // Binds and listens; returns a libuv error or 0.
  int listen(const sockaddr* addr, int backlog) {
    tcp_port_ = true;
    int r = net_allowed(addr, true) ? uv_tcp_bind(&h_.tcp, addr, 0) : UV_EACCES;
    if (r == 0) r = uv_listen(&h_.stream, backlog, connection_cb);
    if (r == 0) {
      sockaddr_storage ss;
      int len = sizeof ss;
      if (uv_tcp_getsockname(&h_.tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        char host[INET6_ADDRSTRLEN] = "";
        if (ss.ss_family == AF_INET6) {
          uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), host, sizeof host);
          port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
        } else {
          uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), host, sizeof host);
          port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        }
        host_ = host;
        add_local_listener(port_);
        listening_ = true;
      }
    }
    return r;
  }

  // The userdata; anchored while the server listens.
  void push_box(lua_State* L, int handler_idx) {
    handler_ = io_ref(L, handler_idx);
    auto** box = static_cast<Server**>(lua_newuserdatauv(L, sizeof(Server*), 0));
    *box = this;
    luaL_setmetatable(L, kServerMT);
    hold();
    self_ = io_ref(L, -1);
  }

  void close(lua_State* L) {
    if (closing_) return;
    closing_ = true;
    stop_listening();
    uv_close(&h_.handle, close_cb);
    self_.reset();
    std::vector<LuaRef> waiters;
    waiters.swap(serve_waiters_);
    for (LuaRef& w : waiters) {
      if (!L || !take_pending(L, w)) continue;
      resolve_top(L, -1, 0);
      lua_pop(L, 1);
    }
  }

  void push_serve_forever(lua_State* L) {
    push_new_future(L);
    future_set_label(L, -1, "serve_forever");  // named in timelines
    serve_waiters_.push_back(io_ref(L, -1));
    on_done(L, -1, serve_done);  // cancelling serve_forever() closes the server
  }

  void push_wait_closed(lua_State* L) {
    if (closed_ && active_ == 0) {
      push_done_future(L);
      return;
    }
    push_new_future(L);
    closed_waiters_.push_back(io_ref(L, -1));
  }

  // A connection it accepted has closed (from its close callback).
  void connection_closed() {
    active_--;
    post(EV_CHECK);
    release_uv();  // last: may free this
  }

  bool closing() const { return closing_; }
  int port() const { return port_; }
  bool is_unix() const { return unix_; }
  const std::string& host() const { return host_; }

 protected:
  void on_events(lua_State* L, uint32_t events) override {
    if (events & EV_ACCEPT) dispatch(L);
    if ((events & EV_CHECK) && closed_ && active_ == 0) {
      std::vector<LuaRef> waiters;
      waiters.swap(closed_waiters_);
      for (LuaRef& w : waiters) {
        if (!take_pending(L, w)) continue;
        resolve_top(L, -1, 0);
        lua_pop(L, 1);
      }
    }
  }

  void loop_closing(lua_State*) override {
    handler_.reset();
    self_.reset();
    serve_waiters_.clear();
    closed_waiters_.clear();
    accepted_.clear();  // each closes itself
    if (!closing_) {
      closing_ = true;
      stop_listening();
      uv_close(&h_.handle, close_cb);
    }
  }

 private:
  enum : uint32_t { EV_ACCEPT = 1, EV_CHECK = 2 };

  static void connection_cb(uv_stream_t* st, int status) {
    auto* srv = static_cast<Server*>(st->data);
    if (status < 0 || srv->closing_) return;
    auto* c = new Stream(srv->loop(), srv->unix_ ? Stream::Kind::Unix : Stream::Kind::Tcp, srv->limit_);
    if (uv_accept(st, c->stream()) != 0) {
      c->abort();
      return;
    }
    if (!srv->unix_) uv_tcp_nodelay(c->tcp(), 1);
    c->server = srv;
    srv->active_++;
    srv->hold_uv();  // released by connection_closed()
    c->start_reading();
    srv->accepted_.push_back(c);
    srv->post(EV_ACCEPT);
  }

  static void close_cb(uv_handle_t* h) {
    auto* srv = static_cast<Server*>(h->data);
    srv->closed_ = true;
    srv->post(EV_CHECK);
    srv->release_uv();
  }

  static void serve_done(lua_State* L, IoObject* o) {
    if (to_future(L, -1)->state == Future::Cancelled) static_cast<Server*>(o)->close(L);
  }

  // A handler that failed or was cancelled leaves its connection closed.
  static void handler_done(lua_State* L, IoObject* o) {
    Future* f = to_future(L, -1);
    if (f->state == Future::Cancelled || f->has_exception) static_cast<Stream*>(o)->close();
  }

  // Runs handler(reader, writer) for each new connection, as a task when it
  // returns a coroutine object.
  void dispatch(lua_State* L) {
    std::vector<Stream*> list;
    list.swap(accepted_);
    for (Stream* c : list) {
      int top = lua_gettop(L);
      push_traceback_handler(L);
      handler_.push(L);
      c->push_reader(L);
      c->push_writer(L);
      if (lua_pcall(L, 2, 1, top + 1) != LUA_OK) {
        std::fprintf(stderr, "Exception in client_connected_cb\n%s\n",
                     traceback_of_last_error(L, -1).c_str());
        std::fflush(stderr);
        c->close();
      } else if (to_coro(L, -1)) {
        push_new_task(L, -1, 0);
        c->on_done(L, -1, handler_done);
      }
      lua_settop(L, top);
    }
  }

  void stop_listening() {
    if (listening_ && tcp_port_) remove_local_listener(port_);
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
    listening_ = false;
  }

  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  size_t limit_;
  bool unix_;
  bool tcp_port_ = false;  // registered with add_local_listener
  std::string path_;       // the Unix socket to remove when closing
  bool listening_ = false;  // registered with add_local_listener
  bool closing_ = false;
  bool closed_ = false;
  int active_ = 0;  // connections accepted and not yet closed
  int port_ = 0;
  std::string host_;
  LuaRef handler_;
  LuaRef self_;
  std::vector<Stream*> accepted_;  // waiting for their handler to start
  std::vector<LuaRef> serve_waiters_;
  std::vector<LuaRef> closed_waiters_;
};

void server_connection_closed(Server* srv) { srv->connection_closed(); }

// The server of the userdata at 1; nullptr once it was finalized (its __gc
// called by hand), which every method treats as closed.
static Server* check_server(lua_State* L) {
  Server* s = *static_cast<Server**>(luaL_checkudata(L, 1, kServerMT));
  return s;
}

static bool server_usable(Server* s) { return s && s->loop() != nullptr; }

static int l_server_close(lua_State* L) {
  Server* s = check_server(L);
  if (server_usable(s)) s->close(L);
  return 0;
}

static int l_serve_forever(lua_State* L) {
  Server* s = check_server(L);
  if (!server_usable(s) || s->closing()) luaL_error(L, "attempt to use a closed server");
  s->push_serve_forever(L);
  return 1;
}

static int l_server_wait_closed(lua_State* L) {
  Server* s = check_server(L);
  if (!server_usable(s))
    push_done_future(L);
  else
    s->push_wait_closed(L);
  return 1;
}

static int l_is_serving(lua_State* L) {
  Server* s = check_server(L);
  lua_pushboolean(L, server_usable(s) && !s->closing());
  return 1;
}

static int l_start_serving(lua_State* L) {
  check_server(L);
  push_done_future(L);  // it serves from the start
  return 1;
}

static int l_server_index(lua_State* L) {
  Server* s = check_server(L);
  const char* key = s ? lua_tostring(L, 2) : nullptr;
  if (key && std::strcmp(key, "port") == 0) {
    lua_pushinteger(L, s->port());
    return 1;
  }
  if (key && std::strcmp(key, "host") == 0 && !s->is_unix()) {
    lua_pushstring(L, s->host().c_str());
    return 1;
  }
  if (key && std::strcmp(key, "path") == 0 && s->is_unix()) {
    lua_pushstring(L, s->host().c_str());
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static int l_server_tostring(lua_State* L) {
  Server* s = check_server(L);
  if (!server_usable(s) || s->closing())
    lua_pushliteral(L, "<Server closed>");
  else if (s->is_unix())
    lua_pushfstring(L, "<Server %s>", s->host().c_str());
  else
    lua_pushfstring(L, "<Server %s:%d>", s->host().c_str(), s->port());
  return 1;
}

static int l_server_gc(lua_State* L) {
  auto** box = static_cast<Server**>(luaL_checkudata(L, 1, kServerMT));
  if (Server* s = *box) {
    *box = nullptr;
    s->release();
  }
  return 0;
}

// ================================================================ resolving

// Resolves host and port, then calls resolved() from Lua context; owns the
// future of the open_connection / start_server call.
class AddrRequest : public IoObject {
 public:
  AddrRequest(Loop* loop, std::string host, std::string port, size_t limit)
      : IoObject(loop), host_(std::move(host)), port_(std::move(port)), limit_(limit) {
    gai_.data = this;
  }

  void set_future(lua_State* L, int idx) {
    fut_ = io_ref(L, idx);
    future_ = to_future(L, idx);
  }

  // Numeric addresses are resolved at once (resolved() runs before this
  // returns); names through uv_getaddrinfo on libuv's thread pool.
  void start(lua_State* L) {
    sockaddr_storage ss{};
    char* end = nullptr;
    long port = std::strtol(port_.c_str(), &end, 10);
    bool numeric_port = !port_.empty() && *end == '\0' && port >= 0 && port <= 65535;
    if (numeric_port && (uv_ip4_addr(host_.c_str(), static_cast<int>(port), reinterpret_cast<sockaddr_in*>(&ss)) == 0 ||
                         uv_ip6_addr(host_.c_str(), static_cast<int>(port), reinterpret_cast<sockaddr_in6*>(&ss)) == 0)) {
      addrs_.push_back(ss);
      resolved(L, 0);
      return;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive_ ? AI_PASSIVE : 0;
    int r = uv_getaddrinfo(loop()->uv(), &gai_, gai_cb, host_.c_str(), port_.c_str(), &hints);
    if (r < 0) {
      resolved(L, r);
      return;
    }
    resolving_ = true;
    hold_uv();
  }

 protected:
  enum : uint32_t { EV_RESOLVED = 1, EV_CONNECTED = 2 };

  virtual void resolved(lua_State* L, int status) = 0;

  bool pending() const { return future_ && !future_->done(); }

  // "host:port" for messages ("[::1]:80" for IPv6).
  std::string address() const {
    bool v6 = host_.find(':') != std::string::npos;
    return (v6 ? "[" + host_ + "]" : host_) + ":" + port_;
  }

  // Completes the future with the libuv error err, naming the address
  // (whole = true) or just the host (a resolution failure).
  void fail(lua_State* L, int err, bool whole) {
    if (!pending()) return;
    fut_.push(L);
    fut_.reset();
    push_os_error(L, err, whole ? address().c_str() : host_.c_str(), "address");
    lua_pushstring(L, host_.c_str());
    lua_setfield(L, -2, "host");
    lua_pushstring(L, port_.c_str());
    lua_setfield(L, -2, "port");
    reject_top(L, -2);
    lua_pop(L, 1);
  }

  void on_events(lua_State* L, uint32_t events) override {
    if (events & EV_RESOLVED) resolved(L, status_);
  }

  void loop_closing(lua_State*) override {
    fut_.reset();
    future_ = nullptr;
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&gai_));
  }

  void cancel_resolving() {
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&gai_));
  }

  std::string host_, port_;
  size_t limit_;
  bool passive_ = false;
  std::vector<sockaddr_storage> addrs_;
  LuaRef fut_;
  Future* future_ = nullptr;
  int status_ = 0;

 private:
  static void gai_cb(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* self = static_cast<AddrRequest*>(req->data);
    self->resolving_ = false;
    self->status_ = status;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      sockaddr_storage ss{};
      std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
      self->addrs_.push_back(ss);
    }
    if (res) uv_freeaddrinfo(res);
    if (status == 0 && self->addrs_.empty()) self->status_ = UV_EAI_NONAME;
    self->post(EV_RESOLVED);
    self->release_uv();
  }

  uv_getaddrinfo_t gai_;
  bool resolving_ = false;
};

// open_connection: tries each resolved address in turn.
class Connector final : public AddrRequest {
 public:
  using AddrRequest::AddrRequest;

  // Cancelling the open_connection future stops what is in flight.
  static void future_done(lua_State* L, IoObject* o) {
    auto* self = static_cast<Connector*>(o);
    if (to_future(L, -1)->state != Future::Cancelled) return;
    self->cancel_resolving();
    if (self->stream_) self->stream_->abort();  // connect_cb gets ECANCELED
  }

 protected:
  void resolved(lua_State* L, int status) override {
    if (!pending()) return;
    if (status < 0) return fail(L, status, false);
    try_next(L);
  }

  void on_events(lua_State* L, uint32_t events) override {
    AddrRequest::on_events(L, events);
    if (!(events & EV_CONNECTED)) return;
    Stream* s = stream_;
    stream_ = nullptr;
    if (!pending()) {
      s->abort();
      return;
    }
    if (connect_status_ < 0) {
      last_err_ = connect_status_;
      s->abort();
      try_next(L);
      return;
    }
    uv_tcp_nodelay(s->tcp(), 1);
    s->start_reading();
    fut_.push(L);
    fut_.reset();
    s->push_reader(L);
    s->push_writer(L);
    resolve_top(L, -3, 2);
    lua_pop(L, 1);
  }

  void loop_closing(lua_State* L) override {
    AddrRequest::loop_closing(L);
    stream_ = nullptr;  // closed by its own hook
  }

 private:
  void try_next(lua_State* L) {
    while (next_ < addrs_.size()) {
      if (!net_allowed(reinterpret_cast<sockaddr*>(&addrs_[next_]), false)) {
        next_++;
        last_err_ = UV_EACCES;
        continue;
      }
      auto* s = new Stream(loop(), Stream::Kind::Tcp, limit_);
      creq_.data = this;
      int r = uv_tcp_connect(&creq_, s->tcp(), reinterpret_cast<sockaddr*>(&addrs_[next_++]), connect_cb);
      if (r == 0) {
        stream_ = s;
        hold_uv();
        return;
      }
      last_err_ = r;
      s->abort();
    }
    fail(L, last_err_ ? last_err_ : UV_EAI_NONAME, true);
  }

  static void connect_cb(uv_connect_t* req, int status) {
    auto* self = static_cast<Connector*>(req->data);
    self->connect_status_ = status;
    self->post(EV_CONNECTED);
    self->release_uv();
  }

  uv_connect_t creq_;
  Stream* stream_ = nullptr;  // connecting
  size_t next_ = 0;
  int connect_status_ = 0;
  int last_err_ = 0;
};

// start_server: listens on the first resolved address that it can bind
// (Python binds every address of the name; this binds one).
class Starter final : public AddrRequest {
 public:
  Starter(Loop* loop, std::string host, std::string port, size_t limit, int backlog)
      : AddrRequest(loop, std::move(host), std::move(port), limit), backlog_(backlog) {
    passive_ = true;
  }
  LuaRef handler;

 protected:
  void resolved(lua_State* L, int status) override {
    if (!pending()) return;
    if (status < 0) return fail(L, status, false);
    Server* srv = nullptr;
    int r = UV_EAI_NONAME;
    for (sockaddr_storage& addr : addrs_) {  // the first address that binds
      srv = new Server(loop(), limit_);
      r = srv->listen(reinterpret_cast<sockaddr*>(&addr), backlog_);
      if (r == 0) break;
      srv->hold();
      srv->close(nullptr);
      srv->release();
      srv = nullptr;
    }
    if (!srv) return fail(L, r, true);
    // No hold needed: its listening handle keeps srv alive until its box
    // holds it, or until the loop closes if an error comes first.
    fut_.push(L);
    fut_.reset();
    handler.push(L);
    srv->push_box(L, -1);
    lua_remove(L, -2);
    resolve_top(L, -2, 1);
    lua_pop(L, 1);
  }

  void loop_closing(lua_State* L) override {
    AddrRequest::loop_closing(L);
    handler.reset();
  }

 private:
  int backlog_;
};

// ================================================================ functions

static size_t opt_limit(lua_State* L, int opts) {
  if (lua_isnoneornil(L, opts)) return kDefaultLimit;
  luaL_checktype(L, opts, LUA_TTABLE);
  lua_getfield(L, opts, "limit");
  lua_Integer limit = luaL_optinteger(L, -1, kDefaultLimit);
  lua_pop(L, 1);
  if (limit <= 0) luaL_error(L, "bad option 'limit' (positive integer expected)");
  return static_cast<size_t>(limit);
}

static int opt_backlog(lua_State* L, int opts) {
  if (lua_isnil(L, opts)) return kDefaultBacklog;
  lua_getfield(L, opts, "backlog");
  int backlog = static_cast<int>(luaL_optinteger(L, -1, kDefaultBacklog));
  lua_pop(L, 1);
  return backlog;
}

// A server's handler: a function or a callable value at index 1.
static void check_handler(lua_State* L) {
  if (lua_type(L, 1) != LUA_TFUNCTION && luaL_getmetafield(L, 1, "__call") == LUA_TNIL) arg_error(L, 1, "function");
}

// The port as a string for getaddrinfo (numbers are converted in place, so
// the result stays anchored at arg).
static const char* check_port(lua_State* L, int arg, bool optional) {
  if (optional && lua_isnoneornil(L, arg)) return "0";
  if (lua_type(L, arg) == LUA_TNUMBER) {
    if (!lua_isinteger(L, arg)) luaL_argerror(L, arg, "port number expected, got a float");
    return lua_tostring(L, arg);
  }
  if (lua_type(L, arg) == LUA_TSTRING) return lua_tostring(L, arg);
  arg_error(L, arg, "port number");
}

// (Arguments are checked before any C++ object exists: in the loadable
// module a Lua error longjmps over this frame.)

// asyncio.open_connection(host, port [, {limit = n}]) -> future of reader, writer
static int l_open_connection(lua_State* L) {
  Loop* loop = io_loop(L, "open_connection");
  lua_settop(L, 3);
  const char* host = lua_isnil(L, 1) ? "localhost" : luaL_checkstring(L, 1);
  const char* port = check_port(L, 2, false);
  size_t limit = opt_limit(L, 3);
  IoHold& hold = *push_scoped<IoHold>(L);  // released on return and on error
  push_new_future(L);
  future_set_label(L, -1, "connect");  // named in timelines
  auto* c = new Connector(loop, host, port, limit);
  hold.hold(c);
  c->set_future(L, -1);
  c->on_done(L, -1, Connector::future_done);
  c->start(L);
  return 1;
}

// asyncio.start_server(handler, host, port [, {limit = n, backlog = n}]) -> future of server
static int l_start_server(lua_State* L) {
  Loop* loop = io_loop(L, "start_server");
  check_handler(L);
  lua_settop(L, 4);
  const char* host = lua_isnil(L, 2) ? "0.0.0.0" : luaL_checkstring(L, 2);
  const char* port = check_port(L, 3, true);
  size_t limit = opt_limit(L, 4);
  int backlog = opt_backlog(L, 4);
  IoHold& hold = *push_scoped<IoHold>(L);  // released on return and on error
  push_new_future(L);
  future_set_label(L, -1, "start_server");  // named in timelines
  auto* st = new Starter(loop, host, port, limit, backlog);
  hold.hold(st);
  st->handler = io_ref(L, 1);
  st->set_future(L, -1);
  st->start(L);
  return 1;
}

// open_unix_connection: one connect to a path.
class UnixConnector final : public IoObject {
 public:
  UnixConnector(Loop* loop, size_t limit) : IoObject(loop), limit_(limit) {}

  void start(lua_State* L, int fut_idx, const char* path) {
    fut_ = io_ref(L, fut_idx);
    future_ = to_future(L, fut_idx);
    path_ = path;
    stream_ = new Stream(loop(), Stream::Kind::Unix, limit_);
    creq_.data = this;
    hold_uv();
    uv_pipe_connect(&creq_, stream_->pipe(), path_.c_str(), connect_cb);  // errors come to connect_cb
  }

  static void future_done(lua_State* L, IoObject* o) {
    auto* self = static_cast<UnixConnector*>(o);
    if (to_future(L, -1)->state == Future::Cancelled && self->stream_) self->stream_->abort();
  }

 protected:
  void on_events(lua_State* L, uint32_t) override {
    Stream* s = stream_;
    stream_ = nullptr;
    if (!s) return;
    if (!future_ || future_->done() || status_ < 0) {
      s->abort();
      if (future_ && !future_->done()) {
        fut_.push(L);
        push_os_error(L, status_, path_.c_str());
        reject_top(L, -2);
        lua_pop(L, 1);
      }
      fut_.reset();
      return;
    }
    s->start_reading();
    fut_.push(L);
    fut_.reset();
    s->push_reader(L);
    s->push_writer(L);
    resolve_top(L, -3, 2);
    lua_pop(L, 1);
  }

  void loop_closing(lua_State*) override {
    fut_.reset();
    future_ = nullptr;
    stream_ = nullptr;  // closed by its own hook
  }

 private:
  static void connect_cb(uv_connect_t* req, int status) {
    auto* self = static_cast<UnixConnector*>(req->data);
    self->status_ = status;
    self->post(1);
    self->release_uv();
  }

  size_t limit_;
  uv_connect_t creq_;
  Stream* stream_ = nullptr;
  LuaRef fut_;
  Future* future_ = nullptr;
  std::string path_;
  int status_ = 0;
};

// asyncio._stream.open_unix_connection(path [, {limit = n}]) -> future of reader, writer
static int l_open_unix_connection(lua_State* L) {
  Loop* loop = io_loop(L, "open_unix_connection");
  lua_settop(L, 2);
  const char* path = luaL_checkstring(L, 1);
  size_t limit = opt_limit(L, 2);
  push_new_future(L);
  future_set_label(L, -1, "connect");  // named in timelines
  // (No IoHold: nothing with a destructor may be live across a Lua error.
  // The done callback's reference keeps the connector until the future is
  // done.)
  auto* c = new UnixConnector(loop, limit);
  c->on_done(L, -1, UnixConnector::future_done);
  c->start(L, -1, path);
  return 1;
}

// asyncio._stream.start_unix_server(handler, path [, {limit =, backlog =}]) -> future of server
static int l_start_unix_server(lua_State* L) {
  Loop* loop = io_loop(L, "start_unix_server");
  check_handler(L);
  lua_settop(L, 3);
  const char* path = luaL_checkstring(L, 2);
  size_t limit = opt_limit(L, 3);
  int backlog = opt_backlog(L, 3);
  push_new_future(L);
  auto* srv = new Server(loop, limit, true);
  int r = srv->listen_unix(path, backlog);
  if (r != 0) {
    srv->hold();
    srv->close(nullptr);
    srv->release();
    push_os_error(L, r, path);
    reject_top(L, -2);
    return 1;
  }
  srv->push_box(L, 1);  // (the open handle keeps srv alive meanwhile)
  resolve_top(L, -2, 1);
  return 1;
}

// ================================================================ getaddrinfo

// asyncio.getaddrinfo: one uv_getaddrinfo on libuv's thread pool.
class Resolver final : public IoObject {
 public:
  explicit Resolver(Loop* loop) : IoObject(loop) { req_.data = this; }
  ~Resolver() override {
    if (res_) uv_freeaddrinfo(res_);
  }

  // Starts resolving (the future at fut_idx gets the result); returns a libuv error or 0.
  int start(lua_State* L, int fut_idx, const char* host, const char* port, const addrinfo& hints) {
    fut_ = io_ref(L, fut_idx);
    future_ = to_future(L, fut_idx);
    host_ = host ? host : "";
    int r = uv_getaddrinfo(loop()->uv(), &req_, gai_cb, host, port, &hints);
    if (r == 0) {
      resolving_ = true;
      hold_uv();
    }
    return r;
  }

  static void future_done(lua_State* L, IoObject* o) {
    auto* self = static_cast<Resolver*>(o);
    if (to_future(L, -1)->state == Future::Cancelled && self->resolving_)
      uv_cancel(reinterpret_cast<uv_req_t*>(&self->req_));
  }

 protected:
  // Results as Python's 5-tuples {family, type, proto, canonname, sockaddr},
  // also as named fields.
  void on_events(lua_State* L, uint32_t) override {
    if (!future_ || future_->done()) return;
    fut_.push(L);
    fut_.reset();
    if (status_ < 0) {
      push_os_error(L, status_, host_.c_str(), "host");
      reject_top(L, -2);
      lua_pop(L, 1);
      return;
    }
    lua_newtable(L);
    int n = 0;
    for (addrinfo* ai = res_; ai; ai = ai->ai_next) {
      lua_createtable(L, 5, 5);
      int e = lua_gettop(L);
      auto put = [L, e](int i, const char* name) {  // the value on top, as [i] and .name
        lua_pushvalue(L, -1);
        lua_rawseti(L, e, i);
        lua_setfield(L, e, name);
      };
      lua_pushinteger(L, ai->ai_family);
      put(1, "family");
      lua_pushinteger(L, ai->ai_socktype);
      put(2, "type");
      lua_pushinteger(L, ai->ai_protocol);
      put(3, "proto");
      lua_pushstring(L, ai->ai_canonname ? ai->ai_canonname : "");
      put(4, "canonname");
      if (!push_sockaddr(L, ai->ai_addr)) lua_pushnil(L);
      put(5, "sockaddr");
      lua_rawseti(L, -2, ++n);
    }
    resolve_top(L, -2, 1);
    lua_pop(L, 1);
  }

  void loop_closing(lua_State*) override {
    fut_.reset();
    future_ = nullptr;
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&req_));
  }

 private:
  static void gai_cb(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* self = static_cast<Resolver*>(req->data);
    self->resolving_ = false;
    self->status_ = status;
    self->res_ = res;
    self->post(1);
    self->release_uv();
  }

  uv_getaddrinfo_t req_;
  bool resolving_ = false;
  int status_ = 0;
  addrinfo* res_ = nullptr;
  LuaRef fut_;
  Future* future_ = nullptr;
  std::string host_;
};

// _stream.getaddrinfo(host, port, family, type, proto, flags) -> future of
// an array of {family, type, proto, canonname, sockaddr}
static int l_getaddrinfo(lua_State* L) {
  Loop* loop = io_loop(L, "getaddrinfo");
  const char* host = luaL_optstring(L, 1, nullptr);
  const char* port = lua_isnoneornil(L, 2) ? nullptr : luaL_checkstring(L, 2);
  if (!host && !port) luaL_error(L, "getaddrinfo: host and port cannot both be nil");
  addrinfo hints{};
  hints.ai_family = static_cast<int>(luaL_optinteger(L, 3, AF_UNSPEC));
  hints.ai_socktype = static_cast<int>(luaL_optinteger(L, 4, 0));
  hints.ai_protocol = static_cast<int>(luaL_optinteger(L, 5, 0));
  hints.ai_flags = static_cast<int>(luaL_optinteger(L, 6, 0));
  push_new_future(L);
  future_set_label(L, -1, "getaddrinfo");  // named in timelines
  auto* r = new Resolver(loop);
  r->on_done(L, -1, Resolver::future_done);  // keeps r until the future is done
  int err = r->start(L, -1, host, port, hints);
  if (err < 0) {
    push_os_error(L, err, host ? host : "", "host");
    reject_top(L, -2);
  }
  return 1;
}

int luaopen_stream(lua_State* L) {
  static const Reg server_methods[] = {
      {"close", fn<l_server_close>},
      {"serve_forever", fn<l_serve_forever>},
      {"wait_closed", fn<l_server_wait_closed>},
      {"is_serving", fn<l_is_serving>},
      {"start_serving", fn<l_start_serving>},
      {nullptr, nullptr},
  };
  static const Reg server_meta[] = {
      {"__gc", fn<l_server_gc>}, {"__close", fn<l_server_close>}, {"__tostring", fn<l_server_tostring>}, {nullptr, nullptr}};
  open_stream_types(L);
  new_io_type(L, kServerMT, server_methods, server_meta, cfn<l_server_index>);

  lua_createtable(L, 0, 4);
  push_fn<l_open_connection>(L);
  lua_setfield(L, -2, "open_connection");
  push_fn<l_start_server>(L);
  lua_setfield(L, -2, "start_server");
  push_fn<l_open_unix_connection>(L);
  lua_setfield(L, -2, "open_unix_connection");
  push_fn<l_start_unix_server>(L);
  lua_setfield(L, -2, "start_unix_server");
  push_fn<l_getaddrinfo>(L);
  lua_setfield(L, -2, "getaddrinfo");
  open_datagram(L);
  // The method tables, for methods written in Lua (reader:lines()).
  luaL_getmetatable(L, kReaderMT);
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "StreamReader");
  lua_pop(L, 1);
  luaL_getmetatable(L, kWriterMT);
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "StreamWriter");
  lua_pop(L, 1);
  // The loop's method table, for loop:create_datagram_endpoint (Lua).
  luaL_getmetatable(L, kLoopMT);
  if (lua_istable(L, -1)) lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "Loop");
  lua_pop(L, 1);
  return 1;
}

}  // namespace luasync
