// future.cpp: Future (see future.h), ported from asyncio/futures.py.
#include "future.h"

#include <cstdio>
#include <new>

#include "loop.h"
#include "scope.h"
#include "task.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

// ---------------------------------------------------------------- basics

void Future::add_callback(const Callback& cb) {
  if (ncallbacks == 0) {
    cb0 = cb;
  } else {
    if (!more) more = new std::vector<Callback>();
    if (ncallbacks - 1 < more->size())
      (*more)[ncallbacks - 1] = cb;
    else
      more->push_back(cb);
  }
  ncallbacks++;
}

void Future::free_callbacks() {
  delete more;
  more = nullptr;
  ncallbacks = 0;
}

Future* to_future(lua_State* L, int idx) {
  // Only our code makes userdata of these sizes starting with these magic
  // words (Lua code cannot write into userdata): a safe, cheap type test.
  void* p = lua_touserdata(L, idx);
  if (!p) return nullptr;
  size_t len = lua_rawlen(L, idx);
  uint32_t magic = *static_cast<uint32_t*>(p);
  if (len == sizeof(Future) && magic == kFutureMagic) return static_cast<Future*>(p);
  if (len == sizeof(Task) && magic == kTaskMagic) return static_cast<Task*>(p);
  return nullptr;
}

Future* check_future(lua_State* L, int idx, const char*) {
  Future* f = to_future(L, idx);
  if (!f) arg_error(L, idx, "Future or Task");
  return f;
}

// The running loop that owns f; raises if that loop is not running.
static Loop* loop_of(lua_State* L, Future* f) {
  Runtime* rt = runtime(L);
  if (!rt->loop || rt->loop->id() != f->loop_id)
    luaL_error(L, "the event loop of this %s is not running (it is closed)",
               f->is_task ? "task" : "future");
  return rt->loop;
}

Future* push_new_future(lua_State* L) {
  Runtime* rt = runtime(L);
  if (!rt->loop) luaL_error(L, "no running event loop (create futures inside asyncio.run)");
  auto* f = new (lua_newuserdatauv(L, sizeof(Future), FUTURE_NUV)) Future();
  f->loop_id = rt->loop->id();
  lua_rawgetp(L, LUA_REGISTRYINDEX, rt->future_mt);
  lua_setmetatable(L, -2);
  return f;
}

void push_extra(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  int t = lua_getiuservalue(L, idx, UV_EXTRA);
  if (t != LUA_TTABLE) {
    lua_createtable(L, 0, 4);
    if (t == LUA_TSTRING) {  // a bare label (see l_label): keep it in the table
      lua_insert(L, -2);
      lua_setfield(L, -2, "label");
    } else {
      lua_remove(L, -2);
    }
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, idx, UV_EXTRA);
  }
}

// ---------------------------------------------------------------- labels

void push_future_label(lua_State* L, int idx) {
  int t = lua_getiuservalue(L, idx, UV_EXTRA);
  if (t == LUA_TSTRING) return;
  if (t == LUA_TTABLE) {
    lua_getfield(L, -1, "label");
    lua_remove(L, -2);
    if (lua_type(L, -1) == LUA_TSTRING) return;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
}

void push_future_children(lua_State* L, int idx) {
  if (lua_getiuservalue(L, idx, UV_EXTRA) == LUA_TTABLE) {
    lua_getfield(L, -1, "children");
    lua_remove(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) return;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
}

void future_set_label(lua_State* L, int idx, const char* label) {
  idx = lua_absindex(L, idx);
  if (lua_getiuservalue(L, idx, UV_EXTRA) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushstring(L, label);
    lua_setiuservalue(L, idx, UV_EXTRA);
    return;
  }
  lua_pop(L, 1);
  push_extra(L, idx);
  lua_pushstring(L, label);
  lua_setfield(L, -2, "label");
  lua_pop(L, 1);
}

// asyncio._label(fut, label [, children]) -> fut: says what a plain future
// stands for ("lock", "queue get", "read"), for timelines and call graphs,
// and optionally which futures it waits for (an array or a set, kept by
// reference: gather's children, a TaskGroup's live task set). A label alone
// is stored as the UV_EXTRA value itself, so labelling allocates nothing.
static int l_label(lua_State* L) {
  Future* f = check_future(L, 1);
  if (f->is_task) luaL_argerror(L, 1, "a plain Future expected, got a Task (tasks have names)");
  luaL_checktype(L, 2, LUA_TSTRING);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  if (lua_isnil(L, 3) && lua_getiuservalue(L, 1, UV_EXTRA) == LUA_TNIL) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_EXTRA);
  } else {
    push_extra(L, 1);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "label");
    if (!lua_isnil(L, 3)) {
      lua_pushvalue(L, 3);
      lua_setfield(L, -2, "children");
    }
  }
  lua_settop(L, 1);
  return 1;
}

// ---------------------------------------------------------------- unretrieved exceptions

// Futures with an exception nobody retrieved are kept in an intrusive list
// (Runtime::unretrieved) and, for finding their userdata at loop close, in a
// weak-valued registry table keyed by their address (weak, so that a failed
// task nobody references is still collected, and reported by its __gc).
static char kUnretrievedKey;

static void push_unretrieved_table(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kUnretrievedKey) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kUnretrievedKey);
  }
}

// The future is at idx.
void future_mark_unretrieved(lua_State* L, int idx, Future* f) {
  if (f->log_traceback) return;
  idx = lua_absindex(L, idx);
  Runtime* rt = runtime(L);
  f->log_traceback = true;
  f->log_prev = nullptr;
  f->log_next = rt->unretrieved;
  if (rt->unretrieved) rt->unretrieved->log_prev = f;
  rt->unretrieved = f;
  push_unretrieved_table(L);
  lua_pushvalue(L, idx);
  lua_rawsetp(L, -2, f);
  lua_pop(L, 1);
}

void future_mark_retrieved(lua_State* L, Future* f) {
  if (!f->log_traceback) return;
  f->log_traceback = false;
  if (f->log_prev)
    f->log_prev->log_next = f->log_next;
  else
    runtime(L)->unretrieved = f->log_next;
  if (f->log_next) f->log_next->log_prev = f->log_prev;
  f->log_prev = f->log_next = nullptr;
}

// Prints "Task exception was never retrieved" for the future at idx.
static void log_unretrieved(lua_State* L, int idx, Future* f) {
  idx = lua_absindex(L, idx);
  std::string what;
  if (f->is_task) {
    push_task_repr(L, idx);
  } else {
    push_future_repr(L, idx);
  }
  what = lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_getiuservalue(L, idx, UV_RESULT);
  std::string frames;
  if (lua_getiuservalue(L, idx, UV_EXTRA) == LUA_TTABLE) {
    lua_getfield(L, -1, "traceback");
    if (lua_type(L, -1) == LUA_TSTRING) frames = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  std::string tb = format_traceback(L, -1, frames);
  lua_pop(L, 1);
  report(L, "unretrieved",
         std::string(f->is_task ? "Task" : "Future") + " exception was never retrieved\nfuture: " + what + "\n" + tb,
         idx);
}

void report_unretrieved(lua_State* L, uint64_t loop_id) {
  // Collect first: logging runs Lua (tostring) and must not see the list change.
  std::vector<Future*> list;
  for (Future* f = runtime(L)->unretrieved; f; f = f->log_next)
    if (f->loop_id == loop_id) list.push_back(f);
  push_unretrieved_table(L);
  for (Future* f : list) {
    if (lua_rawgetp(L, -1, f) == LUA_TUSERDATA) {
      log_unretrieved(L, -1, f);
      future_mark_retrieved(L, f);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

// ---------------------------------------------------------------- completion

// UV_CALLBACKS holds the Lua done callbacks: the function itself while there
// is one (most futures have one: a gather's or a waiter's), a table once there
// are several; Callback::data is the index in that table (0: the lone one).
static void push_lua_callback(lua_State* L, int slot_idx, const Callback& cb) {
  auto i = reinterpret_cast<intptr_t>(cb.data);
  if (i == 0)
    lua_pushvalue(L, slot_idx);
  else
    lua_rawgeti(L, slot_idx, i);
}

void future_schedule_callbacks(lua_State* L, int idx, Future* f) {
  if (f->ncallbacks == 0) return;
  idx = lua_absindex(L, idx);
  Loop* loop = loop_of(L, f);
  bool have_table = false;
  for (uint32_t i = 0; i < f->ncallbacks; i++) {
    Callback cb = f->callback(i);
    if (cb.removed) continue;
    switch (cb.kind) {
      case Callback::Wakeup:
        loop->schedule_step(static_cast<Task*>(cb.ptr));
        break;
      case Callback::Lua:
        if (!have_table) {
          lua_getiuservalue(L, idx, UV_CALLBACKS);
          have_table = true;
        }
        push_lua_callback(L, -1, cb);
        lua_pushvalue(L, idx);
        loop->schedule_call(L, 1);
        break;
      case Callback::Native:
        lua_pushvalue(L, idx);
        loop->schedule_native(reinterpret_cast<NativeFn>(cb.ptr), cb.data, L, true);
        break;
    }
  }
  if (have_table) {
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setiuservalue(L, idx, UV_CALLBACKS);
  }
  f->free_callbacks();
}

static void check_pending(lua_State* L, Future* f) {
  if (f->state != Future::Pending)
    raise_error(L, ErrorClass::InvalidState, "invalid state: the %s is already %s",
                f->is_task ? "task" : "future",
                f->state == Future::Cancelled ? "cancelled" : "done");
}

void future_set_result(lua_State* L, int idx, int first, int n) {
  idx = lua_absindex(L, idx);
  Future* f = to_future(L, idx);
  check_pending(L, f);
  if (n == 1) {
    lua_pushvalue(L, first);
  } else if (n > 1) {
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
      lua_pushvalue(L, first + i);
      lua_rawseti(L, -2, i + 1);
    }
  } else {
    lua_pushnil(L);
  }
  lua_setiuservalue(L, idx, UV_RESULT);
  f->nresults = n;
  f->state = Future::Finished;
  future_schedule_callbacks(L, idx, f);
}

void future_set_exception(lua_State* L, int idx, int err_idx) {
  idx = lua_absindex(L, idx);
  err_idx = lua_absindex(L, err_idx);
  Future* f = to_future(L, idx);
  check_pending(L, f);
  lua_pushvalue(L, err_idx);
  lua_setiuservalue(L, idx, UV_RESULT);
  f->has_exception = true;
  f->state = Future::Finished;
  future_mark_unretrieved(L, idx, f);
  future_schedule_callbacks(L, idx, f);
}

bool future_cancel_default(lua_State* L, int idx, int msg_idx) {
  idx = lua_absindex(L, idx);
  Future* f = to_future(L, idx);
  if (f->log_traceback) {
    future_mark_retrieved(L, f);
  }
  if (f->state != Future::Pending) return false;
  push_error(L, ErrorClass::Cancelled, msg_idx);
  lua_setiuservalue(L, idx, UV_RESULT);
  f->state = Future::Cancelled;
  future_schedule_callbacks(L, idx, f);
  return true;
}

bool future_cancel(lua_State* L, int idx, int msg_idx) {
  // Cancelling a task cancels what it awaits, recursively along a chain of
  // tasks: each level needs a little stack of the caller's thread.
  luaL_checkstack(L, 8, "cancel chain too deep");
  idx = lua_absindex(L, idx);
  if (msg_idx) msg_idx = lua_absindex(L, msg_idx);
  Future* f = to_future(L, idx);
  if (f->is_task) return task_cancel(L, idx, msg_idx);
  if (f->has_cancel_handler && f->state == Future::Pending) {
    // Handlers nest along gathers of gathers: each level is a C call level
    // of Lua's 200. Chains through tasks stop at kMaxCancelHandlerDepth
    // (task_cancel leaves the rest pending); a chain of bare futures that
    // gets this deep fails with a clear error instead of a C stack overflow.
    Runtime* rt = runtime(L);
    if (rt->cancel_handler_depth >= kMaxCancelHandlerDepth + 20)
      luaL_error(L, "cancel chain too deep: more than %d futures with cancel handlers (gathers) nested",
                 kMaxCancelHandlerDepth + 20);
    struct Depth {
      Runtime* rt;
      explicit Depth(Runtime* rt) : rt(rt) { rt->cancel_handler_depth++; }
      ~Depth() { rt->cancel_handler_depth--; }
    };
    push_scoped<Depth>(L, rt);
    int guard = lua_gettop(L);
    push_extra(L, idx);
    lua_getfield(L, -1, "cancel_handler");
    lua_remove(L, -2);
    lua_pushvalue(L, idx);
    if (msg_idx)
      lua_pushvalue(L, msg_idx);
    else
      lua_pushnil(L);
    lua_call(L, 2, 1);
    bool r = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_closeslot(L, guard);  // before the pop (see task_cancel)
    lua_pop(L, 1);
    return r;
  }
  return future_cancel_default(L, idx, msg_idx);
}

int future_push_result(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  Future* f = to_future(L, idx);
  switch (f->state) {
    case Future::Pending:
      raise_error(L, ErrorClass::InvalidState, "result is not ready: the %s is still pending",
                  f->is_task ? "task" : "future");
    case Future::Cancelled:
      lua_getiuservalue(L, idx, UV_RESULT);
      lua_error(L);
    case Future::Finished:
      break;
  }
  if (f->has_exception) {
    future_mark_retrieved(L, f);
    lua_getiuservalue(L, idx, UV_RESULT);
    lua_error(L);
  }
  int n = f->nresults;
  if (n == 0) return 0;
  luaL_checkstack(L, n, "too many results");
  lua_getiuservalue(L, idx, UV_RESULT);
  if (n == 1) return 1;
  int t = lua_gettop(L);
  for (int i = 1; i <= n; i++) lua_rawgeti(L, t, i);
  lua_remove(L, t);
  return n;
}

void future_remove_wakeup(Future* f, Task* t) {
  for (uint32_t i = 0; i < f->ncallbacks; i++) {
    Callback& cb = f->callback(i);
    if (cb.kind == Callback::Wakeup && cb.ptr == t) cb.removed = true;
  }
}

// ---------------------------------------------------------------- repr

void push_future_repr(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  Future* f = to_future(L, idx);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  switch (f->state) {
    case Future::Pending:
      luaL_addstring(&b, "<Future pending");
      break;
    case Future::Cancelled:
      luaL_addstring(&b, "<Future cancelled");
      break;
    case Future::Finished: {
      luaL_addstring(&b, "<Future finished ");
      lua_getiuservalue(L, idx, UV_RESULT);
      std::string v;
      if (f->has_exception) {
        v = "exception=" + safe_tostring(L, -1);
      } else if (f->nresults > 1) {
        v = "result=(";
        for (int i = 1; i <= f->nresults; i++) {
          lua_rawgeti(L, -1, i);
          v += (i > 1 ? ", " : "") + safe_tostring(L, -1);
          lua_pop(L, 1);
        }
        v += ")";
      } else {
        v = "result=" + safe_tostring(L, -1);
      }
      lua_pop(L, 1);
      if (v.size() > 80) v = v.substr(0, 77) + "...";
      luaL_addlstring(&b, v.data(), v.size());
      break;
    }
  }
  luaL_addchar(&b, '>');
  luaL_pushresult(&b);
}

// ---------------------------------------------------------------- Lua methods

static Future* self_future(lua_State* L) { return check_future(L, 1); }

static Future* self_plain_future(lua_State* L, const char* method) {
  Future* f = check_future(L, 1);
  if (f->is_task) luaL_error(L, "Task does not support %s(): a task's result comes from its coroutine", method);
  return f;
}

static int l_future_new(lua_State* L) {
  push_new_future(L);
  return 1;
}

static int l_set_result(lua_State* L) {
  self_plain_future(L, "set_result");
  future_set_result(L, 1, 2, lua_gettop(L) - 1);
  return 0;
}

static int l_set_exception(lua_State* L) {
  self_plain_future(L, "set_exception");
  if (lua_isnoneornil(L, 2)) arg_error(L, 2, "error value");
  future_set_exception(L, 1, 2);
  return 0;
}

static int l_result(lua_State* L) {
  self_future(L);
  lua_settop(L, 1);
  return future_push_result(L, 1);
}

static int l_exception(lua_State* L) {
  Future* f = self_future(L);
  if (f->state == Future::Pending)
    raise_error(L, ErrorClass::InvalidState, "exception is not set: the %s is still pending",
                f->is_task ? "task" : "future");
  lua_getiuservalue(L, 1, UV_RESULT);
  if (f->state == Future::Cancelled) lua_error(L);
  if (!f->has_exception) return 0;
  future_mark_retrieved(L, f);
  return 1;
}

static int l_done(lua_State* L) {
  lua_pushboolean(L, self_future(L)->done());
  return 1;
}

static int l_cancelled(lua_State* L) {
  lua_pushboolean(L, self_future(L)->state == Future::Cancelled);
  return 1;
}

static int l_cancel(lua_State* L) {
  self_future(L);
  lua_pushboolean(L, future_cancel(L, 1, lua_isnoneornil(L, 2) ? 0 : 2));
  return 1;
}

static int l_add_done_callback(lua_State* L) {
  Future* f = self_future(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  Loop* loop = loop_of(L, f);
  if (f->done()) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 1);
    loop->schedule_call(L, 1);
    return 0;
  }
  intptr_t slot = 0;
  int t = lua_getiuservalue(L, 1, UV_CALLBACKS);
  if (t == LUA_TNIL) {  // the first one: kept inline
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_CALLBACKS);
  } else {
    if (t != LUA_TTABLE) {  // a second one: move the lone one into a table
      lua_createtable(L, 4, 0);
      lua_insert(L, -2);
      lua_rawseti(L, -2, 1);
      lua_pushvalue(L, -1);
      lua_setiuservalue(L, 1, UV_CALLBACKS);
      for (uint32_t i = 0; i < f->ncallbacks; i++) {
        Callback& cb = f->callback(i);
        if (cb.kind == Callback::Lua && cb.data == nullptr) cb.data = reinterpret_cast<void*>(intptr_t{1});
      }
    }
    slot = static_cast<intptr_t>(luaL_len(L, -1)) + 1;
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, slot);
  }
  f->add_callback({Callback::Lua, false, nullptr, reinterpret_cast<void*>(slot)});
  return 0;
}

static int l_remove_done_callback(lua_State* L) {
  Future* f = self_future(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int removed = 0;
  if (f->ncallbacks && lua_getiuservalue(L, 1, UV_CALLBACKS) != LUA_TNIL) {
    int slot = lua_gettop(L);
    for (uint32_t i = 0; i < f->ncallbacks; i++) {
      Callback& cb = f->callback(i);
      if (cb.kind != Callback::Lua || cb.removed) continue;
      push_lua_callback(L, slot, cb);
      if (lua_rawequal(L, -1, 2)) {
        cb.removed = true;
        removed++;
      }
      lua_pop(L, 1);
    }
  }
  lua_pushinteger(L, removed);
  return 1;
}

static int l_get_loop(lua_State* L) {
  Future* f = self_future(L);
  Runtime* rt = runtime(L);
  if (!rt->loop || rt->loop->id() != f->loop_id) return 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, rt->loop);  // the loop userdata
  return 1;
}

static int l_future_tostring(lua_State* L) {
  self_future(L);
  push_future_repr(L, 1);
  return 1;
}

int future_gc(lua_State* L) {
  Future* f = to_future(L, 1);
  if (!f) return 0;
  if (f->log_traceback) {
    log_unretrieved(L, 1, f);
    future_mark_retrieved(L, f);
  }
  f->free_callbacks();
  return 0;
}

static int l_set_cancel_handler(lua_State* L) {
  Future* f = check_future(L, 1);
  if (f->is_task) luaL_argerror(L, 1, "a plain Future expected, got a Task");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  push_extra(L, 1);
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "cancel_handler");
  f->has_cancel_handler = true;
  return 0;
}

static int l_cancel_default(lua_State* L) {
  check_future(L, 1);
  lua_pushboolean(L, future_cancel_default(L, 1, lua_isnoneornil(L, 2) ? 0 : 2));
  return 1;
}

static int l_isfuture(lua_State* L) {
  lua_pushboolean(L, to_future(L, 1) != nullptr);
  return 1;
}

// Methods shared by Future and Task (Task adds its own, see task.cpp).
static const Reg kFutureGetters[] = {
    {"result", fn<l_result>},
    {"exception", fn<l_exception>},
    {"done", fn<l_done>},
    {"cancelled", fn<l_cancelled>},
    {"cancel", fn<l_cancel>},
    {"add_done_callback", fn<l_add_done_callback>},
    {"remove_done_callback", fn<l_remove_done_callback>},
    {"get_loop", fn<l_get_loop>},
    {nullptr, nullptr},
};

int future_method_index(lua_State* L) {
  // Fills the table at -1 with the shared methods.
  set_funcs(L, kFutureGetters, 0);
  return 0;
}

void open_future(lua_State* L) {
  Runtime* rt = runtime(L);
  luaL_newmetatable(L, kFutureMT);
  lua_newtable(L);  // methods
  future_method_index(L);
  push_fn<l_set_result>(L);
  lua_setfield(L, -2, "set_result");
  push_fn<l_set_exception>(L);
  lua_setfield(L, -2, "set_exception");
  lua_setfield(L, -2, "__index");
  push_fn<l_future_tostring>(L);
  lua_setfield(L, -2, "__tostring");
  push_fn<future_gc>(L);
  lua_setfield(L, -2, "__gc");
  rt->future_mt = lua_topointer(L, -1);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, rt->future_mt);  // fast lookup by address
  lua_pop(L, 1);

  push_fn<l_future_new>(L);
  lua_setfield(L, -2, "Future");
  push_fn<l_isfuture>(L);
  lua_setfield(L, -2, "isfuture");
  push_fn<l_set_cancel_handler>(L);
  lua_setfield(L, -2, "_set_cancel_handler");
  push_fn<l_label>(L);
  lua_setfield(L, -2, "_label");
  push_fn<l_cancel_default>(L);
  lua_setfield(L, -2, "_cancel_default");
}

}  // namespace luasync
