// io.h: what the I/O layers (stream, process, fs) share.
//
// The lifetime rule of every object libuv calls back into (uvw's, written
// once): the C++ object is heap-allocated apart from any Lua userdata, and is
// deleted only when nothing can reach it any more. IoObject counts three
// kinds of reference:
//   - uv:     the open libuv handle (until its close callback) and each
//             libuv request in flight (until its callback);
//   - queued: each entry it has in the loop's ready queue (post()) and each
//             native done-callback it registered on a future (on_done());
//   - holds:  each Lua userdata that points at it, and a C function that
//             is setting it up.
// libuv callbacks never call Lua: they record what happened and post() an
// event; the event runs from the ready queue, in C++ frames where Lua calls
// (and the errors they may raise) are safe, and resolves futures there.
//
// A libuv callback that ends a reference posts its event before releasing
// (post, then release_uv), so while the loop runs an object is deleted only
// from the ready queue or a Lua C function: its destructor may release
// registry references (LuaRef) there.
//
// When the loop closes, it first calls each object's loop_closing() (a loop
// close hook), where the object closes its handles with its own callbacks and
// drops its Lua anchors; the loop then drops its ready queue without running
// it, so `queued` references no longer count, and runs libuv until every
// handle is closed. From then on the object is detached (loop() is null) and
// is freed once its handles are closed and its userdata are collected (it
// holds no Lua references any more, so that may happen in a libuv callback).
#pragma once

#include <lua.hpp>
#include <uv.h>

#include <cstdint>

#include "loop.h"
#include "lua_ref.h"
#include "trampoline.h"

namespace luasync {

class IoObject {
 public:
  explicit IoObject(Loop* loop);
  virtual ~IoObject();
  IoObject(const IoObject&) = delete;
  IoObject& operator=(const IoObject&) = delete;

  // The loop, or nullptr once it has closed.
  Loop* loop() const { return loop_; }

  void hold_uv() { uv_refs_++; }
  void release_uv() {
    uv_refs_--;
    maybe_free();
  }
  void hold() { holds_++; }
  void release() {
    holds_--;
    maybe_free();
  }

  // Runs on_events(L, events) from the ready queue. Events posted before it
  // runs are merged into one call. Does nothing once the loop is closed.
  void post(uint32_t events);
  // Registers a native done callback on the pending future at idx: fn(L,
  // this) runs from the ready queue, with the future on top of L's stack,
  // once it completes (including by cancellation).
  void on_done(lua_State* L, int idx, void (*fn)(lua_State* L, IoObject* self));

 protected:
  virtual void on_events(lua_State* L, uint32_t events) {}
  // The loop is closing: close handles (with callbacks that release_uv())
  // and drop Lua anchors. Waiters are not resolved (no task is left).
  virtual void loop_closing(lua_State* L) = 0;

 private:
  static void run_posted(lua_State* L, void* data);
  static void run_done(lua_State* L, void* data);
  static void close_hook(lua_State* L, void* data);
  void maybe_free();
  struct Running;

  Loop* loop_;
  uint64_t hook_id_ = 0;
  uint32_t pending_events_ = 0;
  int uv_refs_ = 0;
  int queued_ = 0;
  int holds_ = 0;
};

// Holds an object while a C function sets it up: an error may unwind it, and
// the object is then freed if nothing else refers to it. A Lua error is a
// longjmp that runs no destructor, so in a C function it is to-be-closed
// state (bind/scope.h), made before the object:
//   IoHold& hold = *push_scoped<IoHold>(L);
//   auto* c = new Connector(...);
//   hold.hold(c);
struct IoHold {
  IoObject* obj = nullptr;
  IoHold() = default;
  explicit IoHold(IoObject* o) : obj(o) { obj->hold(); }
  void hold(IoObject* o) {
    o->hold();
    obj = o;
  }
  ~IoHold() {
    if (obj) obj->release();
  }
  IoHold(const IoHold&) = delete;
  IoHold& operator=(const IoHold&) = delete;
};

// The running loop; raises "<fname>: no running event loop ..." without one.
Loop* io_loop(lua_State* L, const char* fname);

// A registry reference held by C++ code. It is made on the state's main
// thread, so it stays valid after the (task) thread that made it is gone.
LuaRef io_ref(lua_State* L, int idx);

// Pushes asyncio.OSError("<CODE>: <description>[: <detail>]") with fields
// code ("ENOENT"), errno (a positive number) and, when detail is given,
// [field] = detail (e.g. path = "/x/y").
void push_os_error(lua_State* L, int uv_err, const char* detail = nullptr,
                   const char* field = "path");
// Pushes asyncio[name] (e.g. an error class defined in the Lua layer).
void push_asyncio_field(lua_State* L, const char* name);

// Pushes the future held by ref if it is still pending (it may have been
// cancelled meanwhile) and returns true; otherwise pushes nothing. The ref
// is released either way.
bool take_pending(lua_State* L, LuaRef& ref);
// Completes the pending future at idx with the n values on top of the stack
// (popping them) or with the error on top (popping it).
void resolve_top(lua_State* L, int fut_idx, int n);
void reject_top(lua_State* L, int fut_idx);

// Pushes a new future that is already done with no results (for awaitables
// that do not need to wait, such as drain() below the high-water mark).
void push_done_future(lua_State* L);

// The metatable named `name` with methods `methods`, __index = methods (or
// `index` if given: a cfn<F>, trampoline.h), and the given metamethods. Leaves the stack unchanged.
void new_io_type(lua_State* L, const char* name, const Reg* methods, const Reg* meta,
                 lua_CFunction index = nullptr);

// Pushes {host, port, host = host, port = port} for an IPv4 or IPv6
// address and returns true; pushes nothing and returns false for others.
bool push_sockaddr(lua_State* L, const sockaddr* sa);
// A numeric IPv4 or IPv6 address and a port into *out; false if host is not one.
bool parse_ip_address(const char* host, int port, sockaddr_storage* out);

// Ports on which a server of this process (asyncio.start_server, http.serve)
// listens. A client talking to one of them over loopback waits on its own
// loop, not on the outside world, so the virtual clock need not wait a
// real-time grace for it (see the HTTP client). Counted: add and remove in
// pairs.
void add_local_listener(int port);
void remove_local_listener(int port);
bool is_local_listener(int port);

// Hooks of the lesson sandbox (learn/sandbox.cpp), through which the I/O
// layer asks before it acts. Unset (the default), everything is allowed.
struct IoPolicy {
  // May this TCP connection (bind = false) or bind (bind = true) happen?
  // Asked by streams, servers, the HTTP client (for every connection it
  // opens, redirects included) and the HTTP server; a refusal fails it
  // with EACCES.
  bool (*net)(const struct sockaddr* addr, bool bind) = nullptr;
  // Charges `bytes` that asyncio.fs is about to write; returns nullptr, or
  // the message of the error that refuses the write.
  const char* (*write)(size_t bytes) = nullptr;
};
IoPolicy& io_policy();
// io_policy().net, or true when unset.
bool net_allowed(const struct sockaddr* addr, bool bind);

}  // namespace luasync
