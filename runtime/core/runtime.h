// runtime.h: the per-lua_State runtime shared by every part of the core.
//
// One Runtime exists per Lua state (created by luaopen_asyncio and stored in
// the state's extra space, which every thread inherits, so any lua_State* of
// the state finds it in O(1)). It knows the running loop (at most one per
// state, as in Python), the metatables of the core types, and the error
// classes the core raises.
#pragma once

#include <lua.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "observer.h"

namespace luasync {

class Loop;
struct Coro;
struct Future;
struct Task;

// Markers yielded by the core to the task runner and passed back on resume.
// They are light userdata: Lua code cannot forge them.
extern char kYieldBare;    // (kYieldBare): reschedule me (sleep(0))
extern char kYieldFuture;  // (kYieldFuture, fut): wake me when fut is done
extern char kYieldSleep;   // (kYieldSleep, delay): wake me after delay seconds
extern char kYieldDeep;    // (kYieldDeep): resume me at once (inline awaits nest deep; see coro.h)
extern char kResumeThrow;  // resume values (kResumeThrow, err): raise err here

// Registry keys (metatable names) of the core types.
inline constexpr const char* kFutureMT = "asyncio.Future";
inline constexpr const char* kTaskMT = "asyncio.Task";
inline constexpr const char* kCoroMT = "asyncio.coroutine";
inline constexpr const char* kLoopMT = "asyncio.Loop";
inline constexpr const char* kHandleMT = "asyncio.Handle";
inline constexpr const char* kTimerHandleMT = "asyncio.TimerHandle";

// Coroutine objects anchored at most between two coro_flush_recent (coro.h).
inline constexpr int kCoroRecentMax = 256;

enum class ErrorClass { Cancelled, Timeout, InvalidState, Error, KeyboardInterrupt };

// How the worker threads of asyncio.to_thread / run_in_executor get their
// Lua states (executor.h). The defaults serve programs; the lesson sandbox
// replaces them to give workers its budgets and its restricted libraries.
struct WorkerPolicy {
  // Makes a worker's state with its libraries, on the worker's thread (must
  // be thread-safe); nullptr on failure. nullptr: a standard state with
  // every standard library and `time` (sleep, time, monotonic).
  lua_State* (*new_state)() = nullptr;
  // A fresh state for every call (closed after it), instead of one per
  // worker that each call gets a fresh global table in.
  bool fresh_state_per_call = false;
  // On the loop's thread when a call has come back, before its result is
  // delivered (the sandbox checks the workers' share of its budgets).
  void (*after_call)(lua_State* L) = nullptr;
  // Threads of the default executor; 0: one per core.
  unsigned max_workers = 0;
};

struct Runtime {
  lua_State* main = nullptr;  // the state's main thread
  Loop* loop = nullptr;       // the running loop, or nullptr
  uint64_t next_loop_id = 1;
  uint64_t next_task_number = 1;  // Task-<n>, counting per process
  int asyncio_ref = LUA_NOREF;    // the asyncio table
  // Metatables, compared by identity for cheap type checks.
  const void* future_mt = nullptr;
  const void* task_mt = nullptr;
  const void* coro_mt = nullptr;
  // The traceback of the last error that escaped asyncio.run, so the
  // interpreter can print the whole await chain (keyed by the error value).
  int last_error_ref = LUA_NOREF;
  std::string last_traceback;
  // Debug mode default for asyncio.run (set by `luasync --debug`).
  bool default_debug = false;
  bool default_virtual = false;
  // Ctrl-C cancels asyncio.run's main task (interrupt.h); set by `luasync
  // FILE` and `luasync -e`.
  bool handle_sigint = false;
  // Nesting of task_cancel -> future_cancel -> task_cancel... along a chain of
  // tasks awaiting tasks; bounded so a long chain cannot exhaust the C stack.
  int cancel_depth = 0;
  // Cancel handlers (asyncio._set_cancel_handler: gather's) running nested:
  // each is a Lua call from C, one of the 200 C call levels Lua allows.
  int cancel_handler_depth = 0;
  // Coroutine objects created and not yet awaited, scheduled or collected.
  int64_t unawaited = 0;
  // C call levels nested in the running task since it was last resumed by
  // inline awaits of coroutine objects and by pcall/xpcall, not known to have
  // returned: an upper bound of what they nest (see await_value, coro.cpp).
  int c_depth = 0;
  // Coroutine objects created since the last coro_flush_recent: anchored in
  // the ring table (registry ref recent_ref) at 1..recent_count, and listed
  // in recent_objs; an object awaited right after its creation leaves the
  // list at once (its ring slot is left stale up to recent_high, which the
  // flush clears). See coro_flush_recent.
  int recent_ref = LUA_NOREF;
  const void* recent_ring = nullptr;  // the ring table itself (identity check)
  int recent_count = 0;
  int recent_high = 0;
  Coro* recent_objs[kCoroRecentMax] = {};
  int coro_mt_ref = LUA_NOREF;  // the coroutine objects' metatable (registry array slot)
  char coro_gc_mt = 0;  // its address keys the finalizing metatable
  // Record where each coroutine object is created, for the warning.
  bool track_origin = true;
  // Futures whose exception nobody retrieved (intrusive list, see future.cpp).
  Future* unretrieved = nullptr;
  // Pushes the watcher of one asyncio.run (observer.h) as a userdata that
  // owns it (its __gc frees it) and returns it; may raise. Set by the layer
  // above the core (the recorder of runtime/observe/), else nullptr.
  RunObserver* (*push_run_observer)(lua_State* L) = nullptr;
  // The lesson sandbox: what reaches beyond the exercise is refused
  // (add_signal_handler), worker threads get its budgets (executor.h).
  bool restricted = false;
  WorkerPolicy workers;
  // Calls handed to worker threads (to_thread, run_in_executor): how many,
  // how many have their futures pending now, the most at once. The lesson
  // sandbox reports them per run (r.threads, r.threads_at_once).
  struct {
    uint64_t calls = 0;
    int in_flight = 0;
    int max_in_flight = 0;
  } worker_stats;
  // Where the runtime's warnings go (see report()); empty: stderr. The
  // lesson sandbox sets it to capture them.
  std::function<void(lua_State* L, const char* kind, const std::string& text, int idx)> report_hook;
  // The lesson sandbox (learn/sandbox.cpp): when set, safe_tostring calls a
  // value's __tostring only if trusted_function(L, index of the function)
  // says it is not learner code, and otherwise describes the value without
  // it ("table: 0x..."). The runtime describes values in finalizers (which
  // Lua runs without hooks, so outside the sandbox's instruction budget)
  // and in its warnings: learner code must run in neither.
  bool (*trusted_function)(lua_State* L, int idx) = nullptr;
};

// The runtime of the state L belongs to (never null after luaopen_asyncio).
inline Runtime* runtime(lua_State* L) { return *static_cast<Runtime**>(lua_getextraspace(L)); }

// Is the value at idx a userdata whose metatable is `mt`?
inline bool has_metatable(lua_State* L, int idx, const void* mt) {
  if (!lua_getmetatable(L, idx)) return false;
  bool same = lua_topointer(L, -1) == mt;
  lua_pop(L, 1);
  return same;
}

// Pushes a new instance of an asyncio error class: Class(message).
// `msg_idx` is the stack index of the message, or 0 for none.
void push_error(lua_State* L, ErrorClass cls, int msg_idx = 0);
void push_error(lua_State* L, ErrorClass cls, const char* msg);
// Raises a new instance of an error class with a formatted message.
[[noreturn]] void raise_error(lua_State* L, ErrorClass cls, const char* fmt, ...);
// Is the value at idx an instance of the class (or a subclass)?
bool is_error(lua_State* L, int idx, ErrorClass cls);

// luaL_typeerror-style message naming the argument: raises
// "bad argument #arg to 'fname' (expected expected, got <type>)".
[[noreturn]] int arg_error(lua_State* L, int arg, const char* expected);

// A warning of the runtime, one of the kinds
//   "never_awaited"   a coroutine object collected unawaited (idx: the object)
//   "unretrieved"     a failed future/task nobody asked (idx: the future)
//   "shutdown_error"  a task that failed while asyncio.run shut down (idx: the task)
//   "callback_error"  an error in a call_soon/call_later callback (idx: the callback)
//   "slow_callback"   debug mode: a step or callback held the loop (idx: it)
//   "swallowed_cancel" debug mode: a task's pcall caught its CancelledError
//                     and it went on (swallow.h; idx: the task)
//   "timeout_not_closed" debug mode: an asyncio.timeout() scope was never
//                     closed (no <close>; idx: 0)
// `text` is the whole message without a final newline. Goes to
// Runtime::report_hook if set, else to stderr. Must not raise.
void report(lua_State* L, const char* kind, const std::string& text, int idx = 0);

// tostring() of the value at idx, without raising (an error in __tostring
// gives a placeholder). Leaves the stack unchanged.
std::string safe_tostring(lua_State* L, int idx);

}  // namespace luasync
