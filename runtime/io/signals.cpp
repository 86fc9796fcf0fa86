// signals.cpp: loop:add_signal_handler / loop:remove_signal_handler (Python's
// loop methods of the same names), on libuv signal handles.
//
// One SignalWatcher (an IoObject) per signal number and loop holds a
// uv_signal_t and the callback with its arguments. libuv calls back on the
// loop's thread when the signal arrived (it turns the asynchronous signal
// into a pipe write); the watcher then posts an event, and the event
// schedules the callback as call_soon would: it runs on the next iteration,
// and an error in it is reported like any callback's. The handle is
// referenced: a program that waits for a signal (a server waiting for
// SIGTERM) is waiting for something that can happen, not deadlocked.
//
// The watchers of the running loop are in a registry table
// {[signum] = watcher userdata}; a watcher whose loop has closed is stale
// and replaced on the next add. Removing the last handler of a signal gives
// it back its default action (libuv does that).
#include <uv.h>

#include <csignal>
#include <cstring>
#include <new>

#include "io.h"
#include "loop_lib.h"
#include "runtime.h"
#include "trampoline.h"

namespace luasync {

namespace {

enum : uint32_t { EV_SIGNAL = 1 };
constexpr const char* kWatcherMT = "asyncio.SignalHandler";
char kWatchersKey;

struct SignalName {
  const char* name;
  int number;
};
// The signals a program may handle (asyncio.signal). SIGINT stays with
// asyncio.run (Ctrl-C cancels the main task, see interrupt.h).
const SignalName kSignals[] = {
    {"SIGTERM", SIGTERM},
    {"SIGHUP", SIGHUP},
    {"SIGUSR1", SIGUSR1},
    {"SIGUSR2", SIGUSR2},
};

class SignalWatcher final : public IoObject {
 public:
  SignalWatcher(Loop* loop, int signum) : IoObject(loop), signum_(signum) { handle_.data = this; }

  // Starts watching; returns a libuv error or 0.
  int start() {
    int r = uv_signal_init(loop()->uv(), &handle_);
    if (r < 0) return r;
    hold_uv();  // until the close callback
    r = uv_signal_start(&handle_, signal_cb, signum_);
    if (r < 0) close();
    return r;
  }

  // Stops for good (idempotent): the callback is dropped.
  void close() {
    callback_.reset();
    if (closed_) return;
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), close_cb);
  }

  bool live(Loop* loop) const { return !closed_ && this->loop() == loop; }
  // Takes the table {fn, args..., n = count} on top of L's stack.
  // (Anchored from the main thread: L may be a task's, collected first.)
  void set_callback(lua_State* L) {
    callback_ = io_ref(L, -1);
    lua_pop(L, 1);
  }

 protected:
  void on_events(lua_State* L, uint32_t events) override {
    if (!(events & EV_SIGNAL) || closed_ || !callback_) return;
    // Schedule fn(args...) as call_soon does.
    callback_.push(L);
    int t = lua_gettop(L);
    lua_getfield(L, t, "n");
    int n = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
    luaL_checkstack(L, n + 2, "too many arguments for a signal handler");
    for (int i = 1; i <= n; i++) lua_rawgeti(L, t, i);
    lua_remove(L, t);
    loop()->schedule_call(L, n - 1);
  }

  void loop_closing(lua_State*) override { close(); }

 private:
  static void signal_cb(uv_signal_t* h, int) { static_cast<SignalWatcher*>(h->data)->post(EV_SIGNAL); }
  static void close_cb(uv_handle_t* h) { static_cast<SignalWatcher*>(h->data)->release_uv(); }

  uv_signal_t handle_{};
  int signum_;
  bool closed_ = false;
  LuaRef callback_;
};

// The userdata that keeps a watcher (its hold is released by __gc).
struct WatcherBox {
  SignalWatcher* w;
};

int l_watcher_gc(lua_State* L) {
  auto* box = static_cast<WatcherBox*>(luaL_checkudata(L, 1, kWatcherMT));
  if (box->w) {
    SignalWatcher* w = box->w;
    box->w = nullptr;
    w->close();
    w->release();
  }
  return 0;
}

// The signal number of argument arg: an integer or a name ("SIGTERM" or
// "TERM"); raises for anything else or a signal that cannot be handled.
int check_signum(lua_State* L, int arg) {
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char* s = lua_tostring(L, arg);
    for (const SignalName& sig : kSignals)
      if (std::strcmp(s, sig.name) == 0 || std::strcmp(s, sig.name + 3) == 0) return sig.number;
  } else if (lua_isinteger(L, arg)) {
    lua_Integer n = lua_tointeger(L, arg);
    for (const SignalName& sig : kSignals)
      if (n == sig.number) return sig.number;
    if (n == SIGINT)
      luaL_argerror(L, arg,
                    "SIGINT is asyncio.run's (Ctrl-C cancels the main task); handle SIGTERM, SIGHUP, SIGUSR1 "
                    "or SIGUSR2");
  } else {
    arg_error(L, arg, "signal number");
  }
  luaL_argerror(L, arg,
                lua_pushfstring(L, "%s is not a signal luasync handles (asyncio.signal: SIGTERM, SIGHUP, SIGUSR1, SIGUSR2)",
                                luaL_tolstring(L, arg, nullptr)));
  return 0;
}

// Pushes the watchers table of the state.
void push_watchers(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kWatchersKey) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kWatchersKey);
}

// The live watcher of signum on loop (its box pushed), or nullptr (nothing pushed).
SignalWatcher* find_watcher(lua_State* L, Loop* loop, int signum) {
  push_watchers(L);
  lua_rawgeti(L, -1, signum);
  lua_remove(L, -2);
  auto* box = static_cast<WatcherBox*>(luaL_testudata(L, -1, kWatcherMT));
  if (box && box->w && box->w->live(loop)) return box->w;
  lua_pop(L, 1);
  return nullptr;
}

// loop:add_signal_handler(signum, fn, ...): fn(...) runs (through the ready
// queue) each time the signal arrives; replaces the signal's handler.
int l_add_signal_handler(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  int signum = check_signum(L, 2);
  if (lua_type(L, 3) != LUA_TFUNCTION) {
    if (luaL_getmetafield(L, 3, "__call") == LUA_TNIL) arg_error(L, 3, "function");
    lua_pop(L, 1);
  }
  if (runtime(L)->restricted)
    luaL_error(L, "add_signal_handler is not available in exercises (signals reach the whole process)");
  int n = lua_gettop(L) - 2;  // fn and its arguments
  lua_createtable(L, n, 1);
  for (int i = 1; i <= n; i++) {
    lua_pushvalue(L, 2 + i);
    lua_rawseti(L, -2, i);
  }
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  int cb = lua_gettop(L);
  if (SignalWatcher* w = find_watcher(L, loop, signum)) {
    lua_pushvalue(L, cb);
    w->set_callback(L);
    return 0;
  }
  // A new watcher: its box first (everything that may raise comes before
  // the C++ object exists, except the start, whose failure the box cleans).
  auto* box = static_cast<WatcherBox*>(lua_newuserdatauv(L, sizeof(WatcherBox), 0));
  box->w = nullptr;
  luaL_setmetatable(L, kWatcherMT);
  int box_idx = lua_gettop(L);
  push_watchers(L);
  lua_pushvalue(L, box_idx);
  lua_rawseti(L, -2, signum);  // (the slot exists after this: no allocation below)
  lua_pop(L, 1);
  auto* w = new SignalWatcher(loop, signum);
  w->hold();
  box->w = w;  // from here on, the box's __gc frees it
  lua_pushvalue(L, cb);
  w->set_callback(L);
  int r = w->start();
  if (r < 0) {
    push_os_error(L, r);
    return lua_error(L);
  }
  return 0;
}

// loop:remove_signal_handler(signum) -> whether a handler was removed.
int l_remove_signal_handler(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  int signum = check_signum(L, 2);
  SignalWatcher* w = find_watcher(L, loop, signum);
  if (w) {
    w->close();
    push_watchers(L);
    lua_pushnil(L);
    lua_rawseti(L, -2, signum);
    lua_pop(L, 1);
  }
  lua_pushboolean(L, w != nullptr);
  return 1;
}

}  // namespace

int luaopen_signal(lua_State* L) {
  static const Reg meta[] = {{"__gc", fn<l_watcher_gc>}, {nullptr, nullptr}};
  luaL_newmetatable(L, kWatcherMT);
  set_funcs(L, meta, 0);
  lua_pop(L, 1);
  // The loop methods.
  luaL_getmetatable(L, kLoopMT);
  lua_getfield(L, -1, "__index");
  static const Reg methods[] = {
      {"add_signal_handler", fn<l_add_signal_handler>},
      {"remove_signal_handler", fn<l_remove_signal_handler>},
      {nullptr, nullptr},
  };
  set_funcs(L, methods, 0);
  lua_pop(L, 2);
  // asyncio.signal: the numbers by name.
  lua_createtable(L, 0, 4);
  for (const SignalName& sig : kSignals) {
    lua_pushinteger(L, sig.number);
    lua_setfield(L, -2, sig.name);
  }
  return 1;
}

}  // namespace luasync
