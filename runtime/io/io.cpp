// io.cpp: see io.h.
#include "io.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "future.h"
#include "runtime.h"
#include "trampoline.h"

namespace luasync {

// ---------------------------------------------------------------- IoObject

IoObject::IoObject(Loop* loop) : loop_(loop) { hook_id_ = loop->add_close_hook(close_hook, this); }

IoObject::~IoObject() {
  if (loop_) loop_->remove_close_hook(hook_id_);
}

void IoObject::maybe_free() {
  if (uv_refs_ == 0 && holds_ == 0 && (queued_ == 0 || !loop_)) delete this;
}

// Holds the object while a ready-queue entry runs (Lua code it calls may
// collect its userdata), and frees it afterwards if nothing refers to it any
// more, also when the entry raised a Lua error (a C++ exception here).
struct IoObject::Running {
  IoObject* obj;
  explicit Running(IoObject* o) : obj(o) { obj->holds_++; }
  ~Running() { obj->release(); }
};

void IoObject::post(uint32_t events) {
  if (!loop_ || loop_->closed()) return;
  if (pending_events_ == 0) {
    queued_++;
    loop_->schedule_native(run_posted, this);
  }
  pending_events_ |= events;
}

void IoObject::run_posted(lua_State* L, void* data) {
  auto* self = static_cast<IoObject*>(data);
  uint32_t events = self->pending_events_;
  self->pending_events_ = 0;
  self->queued_--;
  Running running(self);
  self->on_events(L, events);
}

// A done callback's data is the object's address with the slot of its
// function in the low bits (objects are at least 8-byte aligned). Done
// callbacks are a few distinct functions (one per kind of wait): each gets a
// process-wide slot the first time it is registered.
using DoneFn = void (*)(lua_State*, IoObject*);
static constexpr uintptr_t kSlotMask = 7;
static DoneFn done_fns[kSlotMask + 1];

static uintptr_t slot_of(DoneFn fn) {
  for (uintptr_t i = 0; i <= kSlotMask; i++) {
    if (done_fns[i] == fn) return i;
    if (!done_fns[i]) {
      done_fns[i] = fn;
      return i;
    }
  }
  std::abort();  // more than 8 kinds of done callback: widen the scheme
}

void IoObject::on_done(lua_State* L, int idx, DoneFn fn) {
  uintptr_t slot = slot_of(fn);
  void* data = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) | slot);
  Future* f = to_future(L, idx);
  queued_++;
  if (f->done()) {
    lua_pushvalue(L, idx);
    loop_->schedule_native(run_done, data, L, true);
  } else {
    f->add_callback({Callback::Native, false, reinterpret_cast<void*>(&run_done), data});
  }
}

void IoObject::run_done(lua_State* L, void* data) {
  auto bits = reinterpret_cast<uintptr_t>(data);
  auto* self = reinterpret_cast<IoObject*>(bits & ~kSlotMask);
  self->queued_--;
  Running running(self);
  done_fns[bits & kSlotMask](L, self);
}

void IoObject::close_hook(lua_State* L, void* data) {
  auto* self = static_cast<IoObject*>(data);
  self->hook_id_ = 0;
  self->loop_closing(L);
  self->loop_ = nullptr;  // detached: ready-queue entries are dropped
  self->maybe_free();
}

// ---------------------------------------------------------------- helpers

Loop* io_loop(lua_State* L, const char* fname) {
  Loop* loop = runtime(L)->loop;
  if (!loop || loop->closed())
    luaL_error(L, "%s: no running event loop (call it inside asyncio.run)", fname);
  return loop;
}

LuaRef io_ref(lua_State* L, int idx) {
  lua_State* main = runtime(L)->main;
  if (L == main) return LuaRef::at(L, idx);
  lua_pushvalue(L, idx);
  if (!lua_checkstack(main, 1)) luaL_error(L, "stack overflow (anchoring a value)");
  lua_xmove(L, main, 1);
  return LuaRef::pop(main);
}

void push_asyncio_field(lua_State* L, const char* name) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, runtime(L)->asyncio_ref);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
}

void push_os_error(lua_State* L, int uv_err, const char* detail, const char* field) {
  push_asyncio_field(L, "OSError");
  const char* name = uv_err_name(uv_err);
  if (detail)
    lua_pushfstring(L, "%s: %s: %s", name, uv_strerror(uv_err), detail);
  else
    lua_pushfstring(L, "%s: %s", name, uv_strerror(uv_err));
  lua_createtable(L, 0, 3);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "code");
  lua_pushinteger(L, -uv_err);
  lua_setfield(L, -2, "errno");
  if (detail) {
    lua_pushstring(L, detail);
    lua_setfield(L, -2, field);
  }
  lua_call(L, 2, 1);
}

bool take_pending(lua_State* L, LuaRef& ref) {
  if (!ref) return false;
  ref.push(L);
  ref.reset();
  Future* f = to_future(L, -1);
  if (!f || f->done()) {
    lua_pop(L, 1);
    return false;
  }
  return true;
}

void resolve_top(lua_State* L, int fut_idx, int n) {
  fut_idx = lua_absindex(L, fut_idx);
  future_set_result(L, fut_idx, lua_gettop(L) - n + 1, n);
  lua_pop(L, n);
}

void reject_top(lua_State* L, int fut_idx) {
  future_set_exception(L, fut_idx, -1);
  lua_pop(L, 1);
}

void push_done_future(lua_State* L) {
  push_new_future(L);
  future_set_result(L, -1, 0, 0);
}

void new_io_type(lua_State* L, const char* name, const Reg* methods, const Reg* meta,
                 lua_CFunction index) {
  luaL_newmetatable(L, name);
  set_funcs(L, meta, 0);
  lua_newtable(L);
  set_funcs(L, methods, 0);
  if (index) push_cfn(L, index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

// Pushes {host, port, host = host, port = port} for a socket address.
bool push_sockaddr(lua_State* L, const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = "";
  int port;
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, host, sizeof host);
    port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  lua_createtable(L, 2, 2);
  lua_pushstring(L, host);
  lua_pushvalue(L, -1);
  lua_rawseti(L, -3, 1);
  lua_setfield(L, -2, "host");
  lua_pushinteger(L, port);
  lua_pushvalue(L, -1);
  lua_rawseti(L, -3, 2);
  lua_setfield(L, -2, "port");
  return true;
}

bool parse_ip_address(const char* host, int port, sockaddr_storage* out) {
  *out = sockaddr_storage{};
  return uv_ip4_addr(host, port, reinterpret_cast<sockaddr_in*>(out)) == 0 ||
         uv_ip6_addr(host, port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

// Per thread, like the loops that own the servers.
static thread_local std::unordered_map<int, int> t_local_listeners;

void add_local_listener(int port) { t_local_listeners[port]++; }

void remove_local_listener(int port) {
  auto it = t_local_listeners.find(port);
  if (it != t_local_listeners.end() && --it->second == 0) t_local_listeners.erase(it);
}

bool is_local_listener(int port) { return t_local_listeners.count(port) != 0; }

IoPolicy& io_policy() {
  static IoPolicy policy;
  return policy;
}

bool net_allowed(const struct sockaddr* addr, bool bind) {
  auto check = io_policy().net;
  return !check || check(addr, bind);
}

}  // namespace luasync
