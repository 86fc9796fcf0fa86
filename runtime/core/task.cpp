// task.cpp: Task (see task.h), ported from asyncio/tasks.py.
#include "task.h"

#include <cmath>
#include <cstdio>
#include <new>

#include "coro.h"
#include "loop.h"
#include "observer.h"
#include "options.h"
#include "scope.h"
#include "swallow.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

Task* to_task(lua_State* L, int idx) {
  void* p = lua_touserdata(L, idx);
  if (!p || lua_rawlen(L, idx) != sizeof(Task) || *static_cast<uint32_t*>(p) != kTaskMagic) return nullptr;
  return static_cast<Task*>(p);
}

Task* check_task(lua_State* L, int idx) {
  Task* t = to_task(L, idx);
  if (!t) arg_error(L, idx, "Task");
  return t;
}

// The thread's main function: runs the body under a yieldable pcall with the
// traceback handler, and returns (true, results...) or (false, err).
static int task_main_finish(lua_State* L, int status) {
  lua_pushboolean(L, status == LUA_OK || status == LUA_YIELD);
  lua_replace(L, 1);  // the handler's slot
  return lua_gettop(L);
}

static int task_main_k(lua_State* L, int status, lua_KContext) { return task_main_finish(L, status); }

int task_main(lua_State* L) {
  int nargs = lua_gettop(L) - 1;  // the body, then its arguments
  push_traceback_handler(L);
  lua_insert(L, 1);
  int status = pcallk<task_main_k>(L, nargs, LUA_MULTRET, 1, 0);
  return task_main_finish(L, status);
}

const char* const kCreateTaskOptions[] = {"name", "context", nullptr};

static char kBaseContextKey;

void push_current_context(lua_State* L) {
  Loop* loop = runtime(L)->loop;
  if (loop && loop->current_task()) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, loop->current_task()->self_ref);
    lua_getiuservalue(L, -1, UV_CONTEXT);
    lua_remove(L, -2);
  } else {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kBaseContextKey);
  }
}

int l_context(lua_State* L) {
  Loop* loop = runtime(L)->loop;
  Task* t = loop ? loop->current_task() : nullptr;
  if (lua_gettop(L) >= 1) {
    lua_settop(L, 1);
    if (t) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
      lua_pushvalue(L, 1);
      lua_setiuservalue(L, -2, UV_CONTEXT);
    } else {
      lua_rawsetp(L, LUA_REGISTRYINDEX, &kBaseContextKey);
    }
    return 0;
  }
  push_current_context(L);
  if (t)
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  else
    lua_pushboolean(L, 0);
  return 2;
}

// Pushes the context a new task starts with: the one given (context_idx,
// run as it is), else a copy of the current one (its map).
static void push_task_context(lua_State* L, int context_idx) {
  if (context_idx) {
    lua_pushvalue(L, context_idx);
    return;
  }
  push_current_context(L);
  if (lua_type(L, -1) == LUA_TTABLE && lua_getmetatable(L, -1)) {  // a Context: its map
    lua_pop(L, 1);
    lua_pushliteral(L, "_data");
    lua_rawget(L, -2);
    lua_remove(L, -2);
  }
}

static bool has_a_metatable(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_pop(L, 1);
  return true;
}

Task* push_new_task(lua_State* L, int coro_idx, int name_idx) {
  Runtime* rt = runtime(L);
  coro_idx = lua_absindex(L, coro_idx);
  if (name_idx) name_idx = lua_absindex(L, name_idx);
  int opts_name = 0;  // the name read from an options table (removed at the end)
  int context_idx = 0;
  if (name_idx && lua_type(L, name_idx) == LUA_TTABLE && !has_a_metatable(L, name_idx)) {
    check_options(L, name_idx, "create_task", kCreateTaskOptions);
    lua_getfield(L, name_idx, "context");
    lua_getfield(L, name_idx, "name");
    opts_name = name_idx = lua_gettop(L);
    if (!lua_isnil(L, -2)) {
      context_idx = opts_name - 1;
      if (lua_type(L, context_idx) != LUA_TTABLE || !has_a_metatable(L, context_idx))
        luaL_error(L, "bad option 'context' to 'create_task' (Context expected, got %s)", luaL_typename(L, context_idx));
    }
  }
  Loop* loop = rt->loop;
  if (!loop) luaL_error(L, "no running event loop (create tasks inside asyncio.run)");
  Coro* c = to_coro(L, coro_idx);
  if (!c) {
    if (lua_type(L, coro_idx) == LUA_TFUNCTION)
      luaL_argerror(L, coro_idx,
                    "coroutine object expected, got function (call the async function: create_task(f()))");
    arg_error(L, coro_idx, "coroutine object");
  }
  if (c->state != Coro::Created) {
    push_coro_label(L, coro_idx);
    luaL_error(L, "coroutine %s was already awaited or scheduled: a coroutine object runs once",
               lua_tostring(L, -1));
  }
  auto* t = new (lua_newuserdatauv(L, sizeof(Task), TASK_NUV)) Task();
  int tidx = lua_gettop(L);
  t->magic = kTaskMagic;
  t->is_task = true;
  t->loop_id = loop->id();
  t->number = rt->next_task_number++;
  lua_rawgetp(L, LUA_REGISTRYINDEX, rt->task_mt);
  lua_setmetatable(L, tidx);

  lua_State* co = lua_newthread(L);
  if (!lua_checkstack(co, c->nargs + 2)) luaL_error(L, "too many arguments for a task");
  push_fn<task_main>(co);
  int nargs = coro_push_call(L, coro_idx, c);  // body and arguments, on L
  lua_xmove(L, co, nargs + 1);
  t->co = co;
  t->nargs = nargs + 1;
  lua_setiuservalue(L, tidx, UV_THREAD);
  lua_pushvalue(L, coro_idx);
  lua_setiuservalue(L, tidx, UV_CORO);
  push_task_context(L, context_idx);
  lua_setiuservalue(L, tidx, UV_CONTEXT);
  if (name_idx && !lua_isnil(L, name_idx)) {
    if (lua_type(L, name_idx) == LUA_TSTRING)
      lua_pushvalue(L, name_idx);
    else
      luaL_tolstring(L, name_idx, nullptr);  // like Python's str(name)
    lua_setiuservalue(L, tidx, UV_NAME);
  }
  lua_pushvalue(L, tidx);
  t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  loop->link_task(t);
  loop->schedule_step(t);
  if (TaskObserver* obs = loop->observer) obs->task_created(L, tidx, t, coro_idx);
  if (opts_name) {
    lua_remove(L, opts_name);
    lua_remove(L, opts_name - 1);
  }
  return t;
}

// Releases the anchor once the task is done and no timer entry points at it.
static void maybe_release(lua_State* L, Task* t) {
  if (t->done() && t->timer_entries == 0 && t->self_ref != LUA_NOREF) {
    luaL_unref(L, LUA_REGISTRYINDEX, t->self_ref);
    t->self_ref = LUA_NOREF;
  }
}

// Calls the functions asyncio._at_task_end registered for the task at tidx
// (errors in them are reported as callback errors).
static void run_end_hooks(lua_State* L, int tidx, Task* t) {
  t->has_end_hooks = false;
  if (!lua_checkstack(L, 6)) return;
  int top = lua_gettop(L);
  if (lua_getiuservalue(L, tidx, UV_EXTRA) == LUA_TTABLE && lua_getfield(L, -1, "at_end") == LUA_TTABLE) {
    lua_pushnil(L);
    lua_setfield(L, top + 1, "at_end");
    lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, top + 2));
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, top + 2, i);
      if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        report(L, "callback_error", "Exception in a task's end hook: " + safe_tostring(L, -1), -1);
        lua_pop(L, 1);
      }
    }
  }
  lua_settop(L, top);
}

// The task at tidx has finished one way or another: drop its thread.
static void task_finished(lua_State* L, int tidx, Task* t) {
  if (t->has_end_hooks) run_end_hooks(L, tidx, t);
  lua_pushnil(L);
  lua_setiuservalue(L, tidx, UV_THREAD);
  lua_pushnil(L);
  lua_setiuservalue(L, tidx, UV_WAITER);
  t->co = nullptr;
  t->waiting = Task::Wait::None;
  if (Loop* loop = runtime(L)->loop; loop && loop->id() == t->loop_id) loop->unlink_task(t);
  maybe_release(L, t);
}

// Pushes the pending cancel message (or nil).
static void push_cancel_msg(lua_State* L, int tidx) {
  if (lua_getiuservalue(L, tidx, UV_EXTRA) == LUA_TTABLE) {
    lua_getfield(L, -1, "cancel_msg");
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

// Ends the task as cancelled with the CancelledError at err_idx (kept as is,
// so whoever awaits the task gets the very error raised inside it).
static void finish_cancelled(lua_State* L, int tidx, Task* t, int err_idx) {
  swallow_ended_cancelled(L, tidx, t, err_idx);
  lua_pushvalue(L, err_idx);
  lua_setiuservalue(L, tidx, UV_RESULT);
  t->state = Future::Cancelled;
  future_schedule_callbacks(L, tidx, t);
  task_finished(L, tidx, t);
}

// The body ended with an error at err_idx.
static void finish_failed(lua_State* L, int tidx, Task* t, int err_idx) {
  err_idx = lua_absindex(L, err_idx);
  tidx = lua_absindex(L, tidx);
  if (push_traceback_frames_of(L, err_idx)) {
    push_extra(L, tidx);
    lua_insert(L, -2);
    lua_setfield(L, -2, "traceback");
  }
  lua_pop(L, 1);
  if (is_error(L, err_idx, ErrorClass::Cancelled)) {
    finish_cancelled(L, tidx, t, err_idx);
    return;
  }
  swallow_report(L, tidx, t, "failed with another error");
  future_set_exception(L, tidx, err_idx);
  task_finished(L, tidx, t);  // after: it releases the anchor of a done task
}

// The task's coroutine yielded something the protocol does not know: a raw
// coroutine.yield() in the body. The thread cannot be resumed meaningfully.
static void fail_bad_yield(lua_State* L, int tidx, Task* t) {
  lua_resetthread(t->co);  // closes its to-be-closed variables (no yielding)
  lua_pushstring(L,
                 "task got a bad yield: coroutine.yield() was called directly inside an async "
                 "function (use await; wrap generators in coroutine.wrap)");
  finish_failed(L, tidx, t, -1);
  lua_pop(L, 1);
}

// Handles what the task's thread yielded (Python's __step, the `result` part).
static void handle_yield(lua_State* L, int tidx, Task* t, lua_State* co, int nres) {
  Loop* loop = runtime(L)->loop;
  void* marker = nres >= 1 ? lua_touserdata(co, -nres) : nullptr;
  if (nres == 1 && marker == &kYieldBare) {
    lua_pop(co, 1);
    loop->schedule_step(t);
    return;
  }
  if (nres == 2 && marker == &kYieldSleep) {
    double delay = lua_tonumber(co, -1);
    lua_pop(co, 2);
    t->wake_at = loop->time() + delay;
    loop->add_task_timer(t, t->wake_at);
    t->waiting = Task::Wait::Timer;
    if (t->must_cancel) {  // cancelled itself during this step
      t->timer_gen++;
      t->waiting = Task::Wait::None;
      loop->schedule_step(t);
    }
    return;
  }
  if (nres == 2 && marker == &kYieldFuture) {
    lua_xmove(co, L, 1);  // the future
    lua_pop(co, 1);
    int fidx = lua_gettop(L);
    Future* f = to_future(L, fidx);
    if (f == static_cast<Future*>(t)) {
      // Python throws "Task cannot await on itself" into the coroutine at
      // its await, on the next step: a pcall around the await catches it.
      lua_pop(L, 1);
      push_extra(L, tidx);
      push_task_name(L, tidx);
      lua_pushfstring(L, "a task cannot await itself (task '%s')", lua_tostring(L, -1));
      lua_setfield(L, -3, "wake_throw");
      lua_pop(L, 2);
      t->wake_throw = true;
      loop->schedule_step(t);
      return;
    }
    if (f->done()) {  // completed meanwhile: continue at once
      loop->schedule_step(t);
      return;
    }
    f->add_callback({Callback::Wakeup, false, t, nullptr});
    lua_pushvalue(L, fidx);
    lua_setiuservalue(L, tidx, UV_WAITER);
    t->waiting = Task::Wait::Future;
    if (t->must_cancel) {
      push_cancel_msg(L, tidx);
      if (future_cancel(L, fidx, lua_isnil(L, -1) ? 0 : lua_gettop(L))) t->must_cancel = false;
    }
    return;
  }
  fail_bad_yield(L, tidx, t);
}

void task_step(lua_State* L, Task* t) {
  Runtime* rt = runtime(L);
  Loop* loop = rt->loop;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  int tidx = top + 1;
  if (t->waiting == Task::Wait::Future) {
    // Python's __wakeup raises the future's error into __step, and a pending
    // cancel request does not replace a CancelledError that is already there.
    if (t->must_cancel) {
      lua_getiuservalue(L, tidx, UV_WAITER);
      Future* w = to_future(L, -1);
      if (w && w->state == Future::Cancelled) t->must_cancel = false;
      lua_pop(L, 1);
    }
    lua_pushnil(L);
    lua_setiuservalue(L, tidx, UV_WAITER);
  }
  t->waiting = Task::Wait::None;
  lua_State* co = t->co;
  int nargs = 0;
  if (!lua_checkstack(co, 4)) luaL_error(L, "task stack overflow");
  bool wake_throw = t->wake_throw;  // a cancellation requested meanwhile wins, as in Python
  t->wake_throw = false;
  if (wake_throw) {
    push_extra(L, tidx);
    lua_getfield(L, -1, "wake_throw");
    lua_pushnil(L);
    lua_setfield(L, -3, "wake_throw");
    lua_remove(L, -2);
    if (t->wake_cancelled || t->must_cancel) lua_pop(L, 1);
  }
  if (t->wake_cancelled || t->must_cancel) {
    if (t->wake_cancelled) {
      push_extra(L, tidx);
      lua_getfield(L, -1, "wake_msg");
      lua_remove(L, -2);
    } else {
      push_cancel_msg(L, tidx);
    }
    t->wake_cancelled = false;
    t->must_cancel = false;
    push_error(L, ErrorClass::Cancelled, lua_isnil(L, -1) ? 0 : -1);
    if (!t->started) {
      // Python throws into the unstarted coroutine, which raises at once: the
      // body never runs.
      finish_cancelled(L, tidx, t, -1);
      if (TaskObserver* obs = loop->observer) obs->step_end(L, tidx, t);
      lua_settop(L, top);
      return;
    }
    lua_pushlightuserdata(co, &kResumeThrow);
    lua_xmove(L, co, 1);
    nargs = 2;
  } else if (wake_throw) {
    lua_pushlightuserdata(co, &kResumeThrow);
    lua_xmove(L, co, 1);
    nargs = 2;
  } else if (!t->started) {
    nargs = t->nargs;
  }
  t->started = true;

  double real0 = 0, loop0 = 0;
  if (loop->options().debug) {
    real0 = monotonic_seconds();
    loop0 = loop->time();
  }
  if (TaskObserver* obs = loop->observer) obs->step_begin(t);
  loop->set_current_task(t);
  int nres = 0;
  // A resume starts on an empty C stack: no inline await is nested in it
  // (the counter of the task that resumed us, if any, comes back after).
  int outer_depth = rt->c_depth;
  rt->c_depth = 0;
  int status = lua_resume(co, L, nargs, &nres);
  while (status == LUA_YIELD && nres == 1 && lua_touserdata(co, -1) == &kYieldDeep) {
    // Inline awaits nest deep: resume at once, on an empty C stack.
    lua_pop(co, 1);
    rt->c_depth = 0;
    status = lua_resume(co, L, 0, &nres);
  }
  rt->c_depth = outer_depth;
  loop->set_current_task(nullptr);
  if (loop->options().debug) loop->check_slow(real0, loop0, L, tidx);

  if (status == LUA_YIELD) {
    handle_yield(L, tidx, t, co, nres);
  } else if (status == LUA_OK && lua_toboolean(co, -nres)) {
    // Returned normally: (true, results...)
    int n = nres - 1;
    luaL_checkstack(L, n + 2, "too many results");
    lua_xmove(co, L, n);
    int first = lua_gettop(L) - n + 1;
    if (t->must_cancel) {  // cancelled right before the body returned
      t->must_cancel = false;
      push_cancel_msg(L, tidx);
      push_error(L, ErrorClass::Cancelled, lua_isnil(L, -1) ? 0 : -1);
      finish_cancelled(L, tidx, t, -1);
    } else {
      swallow_report(L, tidx, t, "returned normally");
      future_set_result(L, tidx, first, n);
      task_finished(L, tidx, t);
    }
  } else {
    // (false, err) from task_main, or an error that escaped it.
    lua_xmove(co, L, 1);
    finish_failed(L, tidx, t, -1);
  }
  if (TaskObserver* obs = loop->observer) obs->step_end(L, tidx, t);
  lua_settop(L, top);
}

void task_timer_fired(lua_State* L, Task* t, uint32_t gen, bool dead) {
  t->timer_entries--;
  if (!dead && !t->done() && t->waiting == Task::Wait::Timer && t->timer_gen == gen) {
    t->waiting = Task::Wait::None;
    runtime(L)->loop->schedule_step(t);
  }
  maybe_release(L, t);
}

bool task_cancel(lua_State* L, int idx, int msg_idx) {
  luaL_checkstack(L, 8, "cancel chain too deep");
  idx = lua_absindex(L, idx);
  Task* t = to_task(L, idx);
  if (t->log_traceback) future_mark_retrieved(L, t);
  if (t->done()) return false;
  // Reached again through a cycle of tasks awaiting each other: this task is
  // already being cancelled, so the nested request is declined (the caller
  // then keeps its own request pending, as when a waiter is done already).
  if (t->in_cancel) return false;
  t->num_cancels_requested++;
  if (t->swallowed) t->cancelled_again = true;
  Runtime* rt = runtime(L);
  if (t->waiting == Task::Wait::Future && rt->cancel_depth < 1000 &&
      rt->cancel_handler_depth < kMaxCancelHandlerDepth) {
    // Cancel what it waits on (Python: self._fut_waiter.cancel(msg)). Tasks
    // awaiting each other in a cycle would recurse forever, and a very long
    // chain would exhaust the C stack: there the request just stays pending
    // (must_cancel) until the task is woken.
    // The waiter's cancellation may run Lua code that raises: the mark is
    // undone by a to-be-closed value (scope.h), so a raising cancel handler
    // cannot leave the task uncancellable.
    struct Guard {
      Task* t;
      Runtime* rt;
      Guard(Task* t, Runtime* rt) : t(t), rt(rt) {
        t->in_cancel = true;
        rt->cancel_depth++;
      }
      ~Guard() {
        t->in_cancel = false;
        rt->cancel_depth--;
      }
    };
    push_scoped<Guard>(L, t, rt);
    int guard = lua_gettop(L);
    lua_getiuservalue(L, idx, UV_WAITER);
    bool r = future_cancel(L, -1, msg_idx);
    // lua_closeslot first: Lua 5.4.4's lua_settop keeps a stack pointer
    // across the __close call, which may reallocate the stack.
    lua_closeslot(L, guard);
    lua_settop(L, guard - 1);
    if (r) return true;
  } else if (t->waiting == Task::Wait::Timer) {
    // The sleep is the waiter: cancelling it always succeeds and wakes the
    // task, which then raises CancelledError(msg) at its await point.
    t->timer_gen++;
    t->waiting = Task::Wait::None;
    t->wake_cancelled = true;
    push_extra(L, idx);
    if (msg_idx)
      lua_pushvalue(L, msg_idx);
    else
      lua_pushnil(L);
    lua_setfield(L, -2, "wake_msg");
    lua_pop(L, 1);
    runtime(L)->loop->schedule_step(t);
    return true;
  }
  t->must_cancel = true;
  if (msg_idx || lua_getiuservalue(L, idx, UV_EXTRA) == LUA_TTABLE) {
    if (!msg_idx) lua_pop(L, 1);
    push_extra(L, idx);
    if (msg_idx)
      lua_pushvalue(L, msg_idx);
    else
      lua_pushnil(L);
    lua_setfield(L, -2, "cancel_msg");
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
  return true;
}

// ---------------------------------------------------------------- repr

void push_task_name(lua_State* L, int idx) {
  if (lua_getiuservalue(L, idx, UV_NAME) == LUA_TSTRING) return;
  lua_pop(L, 1);
  lua_pushfstring(L, "Task-%I", static_cast<lua_Integer>(to_task(L, idx)->number));
}

void push_task_repr(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  Task* t = to_task(L, idx);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char* state = t->state == Future::Pending     ? "pending"
                      : t->state == Future::Cancelled ? "cancelled"
                                                      : "finished";
  lua_pushfstring(L, "<Task %s name='", state);
  luaL_addvalue(&b);
  push_task_name(L, idx);
  luaL_addvalue(&b);
  luaL_addstring(&b, "' coro=<");
  lua_getiuservalue(L, idx, UV_CORO);
  push_coro_label(L, -1);
  lua_remove(L, -2);
  luaL_addvalue(&b);
  luaL_addchar(&b, '>');
  if (t->state == Future::Finished) {
    // Reuse the Future repr's result part: "<Future finished result=...>".
    push_future_repr(L, idx);
    std::string r = lua_tostring(L, -1);
    lua_pop(L, 1);
    auto pos = r.find("finished ");
    if (pos != std::string::npos) {
      std::string tail = " " + r.substr(pos + 9, r.size() - pos - 10);
      luaL_addlstring(&b, tail.data(), tail.size());
    }
  } else if (t->waiting == Task::Wait::Future) {
    // What it waits on, one level deep (a chain of tasks awaiting tasks
    // would otherwise nest without bound).
    static thread_local int nesting = 0;
    std::string w = "...";
    if (nesting == 0) {
      nesting++;
      lua_getiuservalue(L, idx, UV_WAITER);
      try {
        w = describe_value(L, -1);
      } catch (...) {
        nesting--;
        throw;
      }
      nesting--;
      lua_pop(L, 1);
    }
    luaL_addstring(&b, " wait_for=");
    luaL_addlstring(&b, w.data(), w.size());
  } else if (t->waiting == Task::Wait::Timer) {
    luaL_addstring(&b, " sleeping");
  }
  luaL_addchar(&b, '>');
  luaL_pushresult(&b);
}

// ---------------------------------------------------------------- Lua methods

static int l_create_task(lua_State* L) {
  push_new_task(L, 1, lua_isnoneornil(L, 2) ? 0 : 2);
  return 1;
}

static int l_get_name(lua_State* L) {
  check_task(L, 1);
  push_task_name(L, 1);
  return 1;
}

static int l_set_name(lua_State* L) {
  check_task(L, 1);
  luaL_tolstring(L, 2, nullptr);
  lua_setiuservalue(L, 1, UV_NAME);
  return 0;
}

static int l_get_coro(lua_State* L) {
  check_task(L, 1);
  lua_getiuservalue(L, 1, UV_CORO);
  return 1;
}

static int l_cancelling(lua_State* L) {
  lua_pushinteger(L, check_task(L, 1)->num_cancels_requested);
  return 1;
}

static int l_uncancel(lua_State* L) {
  Task* t = check_task(L, 1);
  swallow_uncancel(L, 1, t);
  if (t->num_cancels_requested > 0) {
    t->num_cancels_requested--;
    if (t->num_cancels_requested == 0) t->must_cancel = false;
  }
  lua_pushinteger(L, t->num_cancels_requested);
  return 1;
}

// asyncio._at_task_end(task, fn): calls fn() once the task is done (right
// when it ends, before its done callbacks run; for debug-mode checks of
// the Lua layer, such as a timeout scope never closed).
static int l_at_task_end(lua_State* L) {
  Task* t = check_task(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (t->done()) return 0;
  push_extra(L, 1);
  if (lua_getfield(L, -1, "at_end") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "at_end");
  }
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  t->has_end_hooks = true;
  return 0;
}

static int l_task_tostring(lua_State* L) {
  check_task(L, 1);
  push_task_repr(L, 1);
  return 1;
}

static int l_task_unsupported(lua_State* L) {
  return luaL_error(L, "Task does not support set_result() or set_exception(): "
                       "a task's outcome comes from its coroutine");
}

void open_task(lua_State* L) {
  Runtime* rt = runtime(L);
  luaL_newmetatable(L, kTaskMT);
  lua_newtable(L);
  future_method_index(L);
  static const Reg methods[] = {
      {"get_name", fn<l_get_name>},       {"set_name", fn<l_set_name>},
      {"get_coro", fn<l_get_coro>},       {"cancelling", fn<l_cancelling>},
      {"uncancel", fn<l_uncancel>},       {"set_result", fn<l_task_unsupported>},
      {"set_exception", fn<l_task_unsupported>}, {nullptr, nullptr},
  };
  set_funcs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  push_fn<l_task_tostring>(L);
  lua_setfield(L, -2, "__tostring");
  push_fn<future_gc>(L);  // reports an unretrieved exception
  lua_setfield(L, -2, "__gc");
  rt->task_mt = lua_topointer(L, -1);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, rt->task_mt);
  lua_pop(L, 1);

  push_fn<l_create_task>(L);
  lua_setfield(L, -2, "create_task");
  push_fn<l_at_task_end>(L);
  lua_setfield(L, -2, "_at_task_end");
}

}  // namespace luasync
