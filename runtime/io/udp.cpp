// udp.cpp: UDP endpoints (loop:create_datagram_endpoint), on libuv's
// uv_udp_t. See udp.h.
#include "udp.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "io.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

namespace {

constexpr const char* kTransportMT = "asyncio.DatagramTransport";
constexpr size_t kMaxDatagram = 64 * 1024;

enum : uint32_t { EV_RECV = 1, EV_CLOSED = 2 };

class Datagram final : public IoObject {
 public:
  explicit Datagram(Loop* loop) : IoObject(loop) {
    uv_udp_init(loop->uv(), &udp_);
    udp_.data = this;
    hold_uv();  // the open handle
  }

  // Binds and/or connects; returns a libuv error or 0.
  int open(const sockaddr* local, const sockaddr* remote, bool reuse_port, bool broadcast) {
    int r = 0;
    if (local) r = net_allowed(local, true) ? uv_udp_bind(&udp_, local, reuse_port ? UV_UDP_REUSEADDR : 0) : UV_EACCES;
    if (r == 0 && remote) {
      r = net_allowed(remote, false) ? uv_udp_connect(&udp_, remote) : UV_EACCES;
      connected_ = r == 0;
    }
    if (r == 0 && broadcast) r = uv_udp_set_broadcast(&udp_, 1);
    if (r == 0) r = uv_udp_recv_start(&udp_, alloc_cb, recv_cb);
    if (r == 0) {
      // A local port of this process, as a server's (io.h): the socket
      // check lets the process's own endpoints talk to each other.
      sockaddr_storage ss;
      int len = sizeof ss;
      if (uv_udp_getsockname(&udp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        local_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        if (local_port_) add_local_listener(local_port_);
      }
    }
    return r;
  }

  // The userdata; anchored (with the protocol) while the endpoint is open.
  void push_box(lua_State* L, int protocol_idx) {
    protocol_ = io_ref(L, protocol_idx);
    auto** box = static_cast<Datagram**>(lua_newuserdatauv(L, sizeof(Datagram*), 0));
    *box = this;
    luaL_setmetatable(L, kTransportMT);
    hold();
    self_ = io_ref(L, -1);
  }

  // sendto: returns a libuv error or 0 (queued or sent).
  int send(const char* p, size_t n, const sockaddr* addr) {
    if (!connected_ && addr && !net_allowed(addr, false)) return UV_EACCES;
    if (!queue_.empty()) return enqueue(p, n, addr);
    uv_buf_t b = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
    int r = uv_udp_try_send(&udp_, &b, 1, connected_ ? nullptr : addr);
    if (r >= 0) return 0;
    if (r == UV_EAGAIN) return enqueue(p, n, addr);
    return r;
  }

  // Errors of the socket (a refused port reported by ICMP, a failed send)
  // for protocol:error_received, from the ready queue.
  void report(int err) {
    errors_.push_back(err);
    post(EV_RECV);
  }

  // As Python's transports: connection_lost is called soon (from the ready
  // queue, as call_soon would) once nothing is left to send, without
  // waiting for libuv to finish closing the handle; with datagrams still
  // queued, once they are sent (close_cb).
  void close() {
    if (closing_) return;
    closing_ = true;
    uv_udp_recv_stop(&udp_);
    if (sending_ == 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&udp_), close_cb);
      post(EV_CLOSED);
    }
  }

  void abort() {
    closing_ = false;  // close now, even with sends in flight
    aborting_ = true;
    close();
    if (sending_ > 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&udp_), close_cb);
      post(EV_CLOSED);
    }
  }

  bool closing() const { return closing_; }
  bool connected() const { return connected_; }
  size_t buffered() const { return queued_bytes_; }

  void push_address(lua_State* L, bool peer) {
    sockaddr_storage ss;
    int len = sizeof ss;
    int r = peer ? uv_udp_getpeername(&udp_, reinterpret_cast<sockaddr*>(&ss), &len)
                 : uv_udp_getsockname(&udp_, reinterpret_cast<sockaddr*>(&ss), &len);
    if (r != 0 || !push_sockaddr(L, reinterpret_cast<sockaddr*>(&ss))) lua_pushnil(L);
  }

 protected:
  void on_events(lua_State* L, uint32_t events) override {
    if (events & EV_RECV) deliver(L);
    if ((events & EV_CLOSED) && protocol_) {
      call_protocol(L, "connection_lost", 0);  // (nil: a normal close)
      protocol_.reset();
      self_.reset();
    }
  }

  void loop_closing(lua_State*) override {
    protocol_.reset();
    self_.reset();
    inbox_.clear();
    if (!closed_cb_called_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&udp_))) {
      closing_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&udp_), close_cb);
    }
  }

 private:
  struct Packet {
    std::string data;
    sockaddr_storage addr;
  };
  struct SendReq {
    uv_udp_send_t req;
    Datagram* owner;
    std::string data;
  };

  int enqueue(const char* p, size_t n, const sockaddr* addr) {
    auto* sr = new SendReq;
    sr->owner = this;
    sr->data.assign(p, n);
    sr->req.data = sr;
    uv_buf_t b = uv_buf_init(sr->data.data(), static_cast<unsigned>(n));
    int r = uv_udp_send(&sr->req, &udp_, &b, 1, connected_ ? nullptr : addr, send_cb);
    if (r != 0) {
      delete sr;
      return r;
    }
    queue_.push_back(sr);
    queued_bytes_ += n;
    sending_++;
    hold_uv();
    return 0;
  }

  static void send_cb(uv_udp_send_t* req, int status) {
    auto* sr = static_cast<SendReq*>(req->data);
    Datagram* d = sr->owner;
    d->queued_bytes_ -= sr->data.size();
    if (!d->queue_.empty() && d->queue_.front() == sr) d->queue_.pop_front();
    delete sr;
    d->sending_--;
    if (status < 0 && status != UV_ECANCELED) d->report(status);
    if (d->sending_ == 0 && d->closing_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&d->udp_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&d->udp_), close_cb);
    d->release_uv();  // last: may free d
  }

  static void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
    static char chunk[kMaxDatagram];
    *buf = uv_buf_init(chunk, sizeof chunk);
  }

  static void recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned) {
    auto* d = static_cast<Datagram*>(h->data);
    if (nread < 0) {
      d->report(static_cast<int>(nread));
      return;
    }
    if (!addr) return;  // nothing more to read
    Packet p;
    p.data.assign(buf->base, static_cast<size_t>(nread));
    std::memset(&p.addr, 0, sizeof p.addr);
    std::memcpy(&p.addr, addr, addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    d->inbox_.push_back(std::move(p));
    d->post(EV_RECV);
  }

  static void close_cb(uv_handle_t* h) {
    auto* d = static_cast<Datagram*>(h->data);
    d->closed_cb_called_ = true;
    if (d->local_port_) remove_local_listener(std::exchange(d->local_port_, 0));
    d->post(EV_CLOSED);  // (connection_lost, if close() has not posted it already)
    d->release_uv();  // last: may free d
  }

  // Calls protocol:NAME(args...) with the nargs values on top of the stack
  // (popped); an error in it is printed and the loop goes on, as an error
  // in any loop callback. A missing method is skipped.
  void call_protocol(lua_State* L, const char* name, int nargs) {
    int base = lua_gettop(L) - nargs;
    push_traceback_handler(L);
    int handler = lua_gettop(L);
    protocol_.push(L);
    if (lua_getfield(L, -1, name) == LUA_TNIL) {
      lua_settop(L, base);
      return;
    }
    lua_insert(L, -2);  // method, protocol
    for (int i = 1; i <= nargs; i++) lua_pushvalue(L, base + i);
    if (lua_pcall(L, nargs + 1, 0, handler) != LUA_OK) {
      lua_pushfstring(L, "Exception in callback protocol:%s()", name);
      const char* head = lua_tostring(L, -1);
      std::fprintf(stderr, "%s\n%s\n", head, traceback_of_last_error(L, -2).c_str());
      std::fflush(stderr);
    }
    lua_settop(L, base);
  }

  void deliver(lua_State* L) {
    while (protocol_ && !errors_.empty()) {
      int err = errors_.front();
      errors_.pop_front();
      push_os_error(L, err);
      call_protocol(L, "error_received", 1);
    }
    while (protocol_ && !inbox_.empty()) {
      Packet& p = inbox_.front();
      lua_pushlstring(L, p.data.data(), p.data.size());
      if (!push_sockaddr(L, reinterpret_cast<sockaddr*>(&p.addr))) lua_pushnil(L);
      inbox_.pop_front();
      call_protocol(L, "datagram_received", 2);
    }
  }

  uv_udp_t udp_;
  bool connected_ = false;
  bool closing_ = false;
  bool aborting_ = false;
  bool closed_cb_called_ = false;
  int local_port_ = 0;  // registered with add_local_listener
  int sending_ = 0;
  size_t queued_bytes_ = 0;
  LuaRef protocol_;
  LuaRef self_;
  std::deque<Packet> inbox_;
  std::deque<int> errors_;
  std::deque<SendReq*> queue_;

  friend int l_transport_gc(lua_State* L);
};

Datagram* check_transport(lua_State* L, bool open = true) {
  Datagram* d = *static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  if (!d || (open && (d->closing() || !d->loop()))) luaL_error(L, "attempt to use a closed transport");
  return d;
}

// Reads {host, port} (or {host =, port =}) at idx into *out; raises a
// clear error naming `what` otherwise.
void check_addr(lua_State* L, int idx, const char* what, sockaddr_storage* out) {
  if (!lua_istable(L, idx)) luaL_error(L, "bad %s (a {host, port} table expected, got %s)", what, luaL_typename(L, idx));
  lua_rawgeti(L, idx, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, idx, "host");
  }
  lua_rawgeti(L, idx, 2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, idx, "port");
  }
  const char* host = lua_tostring(L, -2);
  int isnum = 0;
  lua_Integer port = lua_tointegerx(L, -1, &isnum);
  if (!host || !isnum || port < 0 || port > 65535)
    luaL_error(L, "bad %s (a {host, port} table with a numeric address and a port expected)", what);
  if (!parse_ip_address(host, static_cast<int>(port), out))
    luaL_error(L, "bad %s ('%s' is not a numeric IP address; resolve names with asyncio.getaddrinfo)", what, host);
  lua_pop(L, 2);
}

// transport:sendto(data [, addr])
int l_sendto(lua_State* L) {
  Datagram* d = check_transport(L);
  size_t n;
  const char* p = luaL_checklstring(L, 2, &n);
  if (n > kMaxDatagram - 1024) luaL_argerror(L, 2, "datagram too large");
  sockaddr_storage addr;
  const sockaddr* to = nullptr;
  if (!lua_isnoneornil(L, 3)) {
    if (d->connected()) luaL_error(L, "sendto: the transport is connected to remote_addr (call sendto(data) without an address)");
    check_addr(L, 3, "address to 'sendto'", &addr);
    to = reinterpret_cast<sockaddr*>(&addr);
  } else if (!d->connected()) {
    luaL_error(L, "sendto: an address is needed (the transport has no remote_addr)");
  }
  int r = d->send(p, n, to);
  if (r < 0) d->report(r);  // as Python: to protocol:error_received
  return 0;
}

int l_transport_close(lua_State* L) {
  Datagram* d = *static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  if (d && d->loop()) d->close();
  return 0;
}

int l_transport_abort(lua_State* L) {
  Datagram* d = *static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  if (d && d->loop()) d->abort();
  return 0;
}

int l_transport_is_closing(lua_State* L) {
  Datagram* d = *static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  lua_pushboolean(L, !d || !d->loop() || d->closing());
  return 1;
}

int l_get_write_buffer_size(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(check_transport(L, false)->buffered()));
  return 1;
}

int l_transport_extra(lua_State* L) {
  Datagram* d = check_transport(L, false);
  const char* name = luaL_checkstring(L, 2);
  if (d->loop() && !d->closing() && (std::strcmp(name, "peername") == 0 || std::strcmp(name, "sockname") == 0)) {
    d->push_address(L, name[0] == 'p');
    if (!lua_isnil(L, -1)) return 1;
  }
  lua_settop(L, 3);
  return 1;
}

int l_transport_tostring(lua_State* L) {
  Datagram* d = *static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  lua_pushfstring(L, "<DatagramTransport%s>", !d || !d->loop() || d->closing() ? " closed" : "");
  return 1;
}

int l_transport_gc(lua_State* L) {
  auto** box = static_cast<Datagram**>(luaL_checkudata(L, 1, kTransportMT));
  if (Datagram* d = *box) {
    *box = nullptr;
    if (d->loop()) d->close();
    d->release();
  }
  return 0;
}

// _stream.datagram_endpoint(protocol, local {host, port} | nil, remote | nil,
// reuse_port, allow_broadcast, family) -> transport. Addresses are numeric.
int l_datagram_endpoint(lua_State* L) {
  Loop* loop = io_loop(L, "create_datagram_endpoint");
  luaL_checktype(L, 1, LUA_TTABLE);
  sockaddr_storage local, remote;
  bool has_local = !lua_isnoneornil(L, 2), has_remote = !lua_isnoneornil(L, 3);
  if (has_local) check_addr(L, 2, "option 'local_addr' to 'create_datagram_endpoint'", &local);
  if (has_remote) check_addr(L, 3, "option 'remote_addr' to 'create_datagram_endpoint'", &remote);
  bool reuse = lua_toboolean(L, 4), broadcast = lua_toboolean(L, 5);
  if (!has_local && !has_remote) {  // receive on any free port
    const char* any = luaL_optinteger(L, 6, AF_INET) == AF_INET6 ? "::" : "0.0.0.0";
    parse_ip_address(any, 0, &local);
    has_local = true;
  }
  auto* d = new Datagram(loop);  // the open handle keeps it until closed
  int r = d->open(has_local ? reinterpret_cast<sockaddr*>(&local) : nullptr,
                  has_remote ? reinterpret_cast<sockaddr*>(&remote) : nullptr, reuse, broadcast);
  if (r != 0) {
    d->close();
    push_os_error(L, r);
    return lua_error(L);
  }
  d->push_box(L, 1);
  return 1;
}

}  // namespace

void open_datagram(lua_State* L) {
  static const Reg methods[] = {
      {"sendto", fn<l_sendto>},
      {"close", fn<l_transport_close>},
      {"abort", fn<l_transport_abort>},
      {"is_closing", fn<l_transport_is_closing>},
      {"get_write_buffer_size", fn<l_get_write_buffer_size>},
      {"get_extra_info", fn<l_transport_extra>},
      {nullptr, nullptr},
  };
  static const Reg meta[] = {
      {"__gc", fn<l_transport_gc>}, {"__close", fn<l_transport_close>}, {"__tostring", fn<l_transport_tostring>}, {nullptr, nullptr}};
  new_io_type(L, kTransportMT, methods, meta);
  push_fn<l_datagram_endpoint>(L);
  lua_setfield(L, -2, "datagram_endpoint");
}

}  // namespace luasync
