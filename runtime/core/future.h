// future.h: Future (port of asyncio.futures.Future), as a Lua userdata.
//
// A Future is pending, then either finished (with results or an exception)
// or cancelled. Done callbacks are never run inside set_result: completing a
// future schedules each callback on the loop's ready queue, in registration
// order. Task (task.h) extends Future.
//
// Lua values live in the userdata's user values (see UV_*), not in C++, so
// the garbage collector sees them and no registry bookkeeping is needed.
#pragma once

#include <lua.hpp>

#include <cstdint>
#include <vector>

#include "runtime.h"

namespace luasync {

class Loop;
struct Task;

// User value slots of a Future (a Task adds more, see task.h).
enum : int {
  UV_RESULT = 1,     // one result, a table of several, the exception, or the CancelledError
  UV_CALLBACKS = 2,  // table of Lua done-callback functions (created lazily)
  UV_EXTRA = 3,      // table of rarely used fields (created lazily)
  FUTURE_NUV = 3,
};

struct Callback {
  enum Kind : uint8_t { Wakeup, Lua, Native };
  Kind kind;
  bool removed;
  void* ptr;   // Task* (Wakeup), NativeFn (Native)
  void* data;  // Native data; Lua: index into the UV_CALLBACKS table
};

inline constexpr uint32_t kFutureMagic = 0x46757475u;  // "Futu"
inline constexpr uint32_t kTaskMagic = 0x5461736bu;    // "Task"

struct Future {
  enum State : uint8_t { Pending, Cancelled, Finished };

  uint32_t magic = kFutureMagic;  // cheap type check (see to_future)
  uint64_t loop_id = 0;
  State state = Pending;
  bool is_task = false;
  bool has_exception = false;
  bool log_traceback = false;     // an exception nobody retrieved yet
  bool has_cancel_handler = false;
  int32_t nresults = 0;
  // Callbacks in registration order; the first one inline (the common case is
  // exactly one: the task awaiting this future).
  uint32_t ncallbacks = 0;
  Callback cb0{};
  std::vector<Callback>* more = nullptr;
  // Intrusive list of futures with an unretrieved exception (per runtime).
  Future* log_prev = nullptr;
  Future* log_next = nullptr;

  bool done() const { return state != Pending; }
  void add_callback(const Callback& cb);
  Callback& callback(uint32_t i) { return i == 0 ? cb0 : (*more)[i - 1]; }
  void free_callbacks();
};

// Type checks. `check_future` accepts a Future or a Task.
Future* to_future(lua_State* L, int idx);  // nullptr if not a Future/Task
Future* check_future(lua_State* L, int idx, const char* fname = nullptr);

// Creates a pending Future on the running loop and pushes it.
Future* push_new_future(lua_State* L);

// How many cancel handlers (gathers) a cancellation passes through before
// task_cancel leaves the rest of the chain pending (see future_cancel).
inline constexpr int kMaxCancelHandlerDepth = 100;

// Completion (fut is at stack index idx). These raise InvalidStateError if
// the future is already done, like Python's.
void future_set_result(lua_State* L, int idx, int first, int n);
void future_set_exception(lua_State* L, int idx, int err_idx);
// Cancels unless done; runs the Lua cancel handler if one is installed.
// `msg_idx` 0 means no message. Returns whether it was cancelled.
bool future_cancel(lua_State* L, int idx, int msg_idx);
bool future_cancel_default(lua_State* L, int idx, int msg_idx);
// Pushes the results (returns how many) or raises the exception / the
// CancelledError / InvalidStateError. Marks the exception as retrieved.
int future_push_result(lua_State* L, int idx);
// Removes a Task wakeup (used when a task stops waiting without completion).
void future_remove_wakeup(Future* f, Task* t);

// Retrieval bookkeeping for "exception was never retrieved".
void future_mark_unretrieved(lua_State* L, int idx, Future* f);
void future_mark_retrieved(lua_State* L, Future* f);
// Reports every unretrieved exception of loop `loop_id` (at loop close).
void report_unretrieved(lua_State* L, uint64_t loop_id);

// Pushes tostring-like text for the result part of a future repr.
void push_future_repr(lua_State* L, int idx);

// __gc of Future and Task: reports an unretrieved exception, frees callbacks.
int future_gc(lua_State* L);

void open_future(lua_State* L);  // metatable and functions into asyncio (at -1)

// Helpers shared by Task.
int future_method_index(lua_State* L);
void future_schedule_callbacks(lua_State* L, int idx, Future* f);
void push_extra(lua_State* L, int idx);  // pushes the UV_EXTRA table, creating it

// What a plain future stands for (asyncio._label): pushes its label ("lock",
// "read", ...) or nil, and the table of futures it waits for (gather's
// children) or nil. The label lives in UV_EXTRA: a bare string when nothing
// else is there, else the table's field `label`.
void push_future_label(lua_State* L, int idx);
void push_future_children(lua_State* L, int idx);
// Labels the plain future at idx (what asyncio._label(fut, label) does), so
// that timelines and call graphs say what it is: I/O layers call it on the
// futures they create ("read", "connect", "http GET /x").
void future_set_label(lua_State* L, int idx, const char* label);

}  // namespace luasync
