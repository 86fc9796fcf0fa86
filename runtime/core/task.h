// task.h: Task, a Future that drives a coroutine object in its own Lua thread
// (port of asyncio.tasks.Task: __step and __wakeup onto lua_resume).
//
// Invariant (the one fact a maintainer must not break): a task that is not
// done is in exactly one of these states, and the task is anchored in the
// registry (self_ref) in all of them:
//   - scheduled: exactly one Step entry for it is in the loop's ready queue;
//   - waiting on a future: waiting == Wait::Future, UV_WAITER holds the future
//     and the future's callbacks contain this task's wakeup;
//   - waiting on a timer: waiting == Wait::Timer and one live heap entry with
//     generation timer_gen points at it.
// Only step() resumes the thread, and step() runs only from the ready queue.
//
// The thread runs `task_main`, which calls the body under a yieldable
// lua_pcallk with a message handler, so to-be-closed variables of the body
// close (and may await) when it fails or is cancelled, and the traceback is
// captured where the error was raised.
#pragma once

#include <lua.hpp>

#include <cstdint>

#include "future.h"

namespace luasync {

enum : int {
  UV_THREAD = FUTURE_NUV + 1,  // the task's lua_State (nil once done)
  UV_CORO = FUTURE_NUV + 2,    // the coroutine object
  UV_WAITER = FUTURE_NUV + 3,  // the future it waits on
  UV_NAME = FUTURE_NUV + 4,    // custom name (nil: "Task-<number>")
  UV_CONTEXT = FUTURE_NUV + 5, // its context (contextvars.lua): a map or a Context
  TASK_NUV = FUTURE_NUV + 5,
};

struct Task : Future {
  enum class Wait : uint8_t { None, Future, Timer };

  lua_State* co = nullptr;
  Task* prev = nullptr;  // the loop's list of tasks not done
  Task* next = nullptr;
  int self_ref = LUA_NOREF;
  uint64_t number = 0;
  int num_cancels_requested = 0;
  bool must_cancel = false;
  // The sleep the task waited on was cancelled: the next step raises that
  // CancelledError (message in UV_EXTRA.wake_msg), as a cancelled sleep
  // future would in Python, whatever cancel()/uncancel() happen meanwhile.
  bool wake_cancelled = false;
  // The next step raises UV_EXTRA.wake_throw at the task's await point (it
  // awaited itself: Python throws that RuntimeError into the coroutine).
  bool wake_throw = false;
  bool started = false;
  bool in_cancel = false;  // task_cancel is running for it (cycle guard)
  // Debug mode: a pcall caught this task's CancelledError and it has not
  // re-raised or uncancelled since (swallow.h; where: UV_EXTRA.swallowed_at).
  bool swallowed = false;
  bool cancelled_again = false;  // cancel() was called again since
  bool has_end_hooks = false;    // UV_EXTRA.at_end: functions to call when it ends
  bool linked = false;
  Wait waiting = Wait::None;
  uint32_t timer_gen = 0;      // generation of the live timer entry
  uint32_t timer_entries = 0;  // heap entries (live or stale) pointing here
  int nargs = 0;               // arguments of the body for the first resume
  double wake_at = 0;          // Wait::Timer: when the sleep ends (loop clock)
  uint32_t rec_id = 0;         // 1 + index in the loop's Recorder, 0: not recorded
};

Task* to_task(lua_State* L, int idx);  // nullptr if not a Task
Task* check_task(lua_State* L, int idx);

// Creates a task for the coroutine object at coro_idx on the running loop and
// pushes it. name_idx 0: default name; else the index of the name (any value
// but a plain table: its tostring), or of an options table {name =,
// context =} (checked: kCreateTaskOptions). The task runs in the given
// context, else in a copy of the creator's current context (see
// push_current_context).
Task* push_new_task(lua_State* L, int coro_idx, int name_idx);
extern const char* const kCreateTaskOptions[];

// One step of the task (called from the ready queue only). L is the loop's thread.
void task_step(lua_State* L, Task* t);
// Python's Task.cancel. Task at idx.
bool task_cancel(lua_State* L, int idx, int msg_idx);
// Called by the loop when a timer entry for t fires or is discarded.
void task_timer_fired(lua_State* L, Task* t, uint32_t gen, bool dead);

// Contexts (contextvars, runtime/core/lua/contextvars.lua). The current context
// is the running task's UV_CONTEXT, or outside tasks the state's base
// context. Either is nil (empty), a map {[var] = value} that is never
// changed once made (so copying a context is sharing its map), or a Context
// object (a table with a metatable whose field _data is its current map).
void push_current_context(lua_State* L);
// asyncio._context([value]): returns the current context and the task whose
// context it is (false outside tasks); with an argument, replaces it.
int l_context(lua_State* L);

// Pushes the task's name.
void push_task_name(lua_State* L, int idx);
// Pushes "<Task pending name='x' coro=<f() at file:line>>".
void push_task_repr(lua_State* L, int idx);

void open_task(lua_State* L);  // metatable and functions into asyncio (at -1)

}  // namespace luasync
