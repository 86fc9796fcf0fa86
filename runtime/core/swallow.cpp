// swallow.cpp: see swallow.h.
#include "swallow.h"

#include <cstring>

#include "loop.h"
#include "runtime.h"
#include "task.h"
#include "trampoline.h"

namespace luasync {

namespace {

// Is the function at `level` of L's stack the runtime's own Lua code?
bool internal_caller(lua_State* L, int level, lua_Debug* ar) {
  if (!lua_getstack(L, level, ar) || !lua_getinfo(L, "Sl", ar)) return true;
  return std::strncmp(ar->short_src, "[asyncio]", 9) == 0 || std::strncmp(ar->short_src, "[learn]", 7) == 0;
}

// The error at err_idx was just caught by a pcall called from level 1 of L.
// Notes it on the current task if that task is being cancelled.
void note_catch(lua_State* L, int err_idx) {
  Runtime* rt = runtime(L);
  Loop* loop = rt->loop;
  if (!loop || !loop->options().debug) return;
  Task* t = loop->current_task();
  if (!t || t->num_cancels_requested <= 0 || t->self_ref == LUA_NOREF) return;
  if (!lua_checkstack(L, 6)) return;
  err_idx = lua_absindex(L, err_idx);
  if (!is_error(L, err_idx, ErrorClass::Cancelled)) return;
  // The runtime's own Lua code catches cancellations to clean up and
  // re-raise them: only the program's pcalls count.
  lua_Debug ar;
  if (internal_caller(L, 1, &ar) || ar.currentline <= 0) return;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  push_extra(L, -1);
  int extra = lua_gettop(L);
  (void)extra;
  // The first catch is kept, unless this one caught the very same error
  // again (it was re-raised to here, so the outer pcall is the one that
  // kept it).
  bool replace = !t->swallowed;
  if (!replace) {
    lua_getfield(L, extra, "swallowed_err");
    replace = lua_rawequal(L, -1, err_idx);
    lua_pop(L, 1);
    if (!replace && t->cancelled_again) {
      // A later cancellation, caught too: the first was swallowed for good.
      lua_settop(L, top);
      lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
      swallow_report(L, -1, t, "went on and was cancelled again");
      push_extra(L, -1);
      extra = lua_gettop(L);
      replace = true;
    }
  }
  if (replace) {
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    lua_setfield(L, extra, "swallowed_at");
    lua_pushvalue(L, err_idx);
    lua_setfield(L, extra, "swallowed_err");
    t->swallowed = true;
  }
  lua_settop(L, top);
}

// The continuation of both: the results, with the catch noted on an error.
int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (Runtime* rt = runtime(L); rt->c_depth > 0) rt->c_depth--;  // see kMaxInlineDepth, coro.cpp
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);  // the error (what xpcall's handler made of it)
    if (extra == 2) {
      // xpcall: the handler saw the error itself and kept its verdict.
      if (lua_getupvalue(L, 2, 2) && lua_toboolean(L, -1)) {
        lua_getupvalue(L, 2, 3);
        note_catch(L, -1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    } else {
      note_catch(L, -1);
    }
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

// xpcall's message handler: upvalue 1 is the program's handler; records in
// upvalue 2 whether the error was a CancelledError (and in 3 the error), then
// hands over.
int xpcall_handler(lua_State* L) {
  bool cancelled = is_error(L, 1, ErrorClass::Cancelled);
  lua_pushboolean(L, cancelled);
  lua_replace(L, lua_upvalueindex(2));
  if (cancelled) {
    lua_pushvalue(L, 1);
    lua_replace(L, lua_upvalueindex(3));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

}  // namespace

int swallow_pcall(lua_State* L) {
  // Named as the global it replaces (luaL_checkany would say 'asyncio.pcall').
  if (lua_type(L, 1) == LUA_TNONE) return luaL_error(L, "bad argument #1 to 'pcall' (value expected)");
  lua_pushboolean(L, 1);  // the first result if there is no error
  lua_insert(L, 1);
  runtime(L)->c_depth++;
  int status = pcallk<finish_pcall>(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0);
  return finish_pcall(L, status, 0);
}

int swallow_xpcall(lua_State* L) {
  int n = lua_gettop(L);
  if (lua_type(L, 2) != LUA_TFUNCTION)
    return luaL_error(L, "bad argument #2 to 'xpcall' (function expected, got %s)", luaL_typename(L, 2));
  // The handler, wrapped: [f, wrapped, args...]
  lua_pushvalue(L, 2);
  lua_pushboolean(L, 0);
  lua_pushnil(L);
  push_closure<xpcall_handler>(L, 3);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);  // the first result
  lua_pushvalue(L, 1);    // the function
  lua_rotate(L, 3, 2);    // both below the function's arguments
  runtime(L)->c_depth++;
  int status = pcallk<finish_pcall>(L, n - 2, LUA_MULTRET, 2, 2);
  return finish_pcall(L, status, 2);
}

void swallow_clear(lua_State* L, int tidx, Task* t) {
  t->cancelled_again = false;
  if (!t->swallowed) return;
  t->swallowed = false;
  if (lua_getiuservalue(L, tidx, UV_EXTRA) == LUA_TTABLE) {
    lua_pushnil(L);
    lua_setfield(L, -2, "swallowed_err");
    lua_pushnil(L);
    lua_setfield(L, -2, "swallowed_at");
  }
  lua_pop(L, 1);
}

void swallow_uncancel(lua_State* L, int tidx, Task* t) {
  if (!t->swallowed) return;
  lua_Debug ar;
  if (internal_caller(L, 1, &ar))
    swallow_report(L, tidx, t, "went on inside the block whose deadline or task group cancelled it");
  else
    swallow_clear(L, tidx, t);
}

void swallow_ended_cancelled(lua_State* L, int tidx, Task* t, int err_idx) {
  if (!t->swallowed) return;
  tidx = lua_absindex(L, tidx);
  err_idx = lua_absindex(L, err_idx);
  bool same = false;
  if (lua_getiuservalue(L, tidx, UV_EXTRA) == LUA_TTABLE) {
    lua_getfield(L, -1, "swallowed_err");
    same = lua_rawequal(L, -1, err_idx);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (same)
    swallow_clear(L, tidx, t);  // re-raised: it did stop
  else
    swallow_report(L, tidx, t, "went on until it was cancelled again");
}

void swallow_report(lua_State* L, int tidx, Task* t, const char* how) {
  if (!t->swallowed) return;
  tidx = lua_absindex(L, tidx);
  if (t->num_cancels_requested > 0 && lua_checkstack(L, 8)) {
    int top = lua_gettop(L);
    push_extra(L, tidx);
    lua_getfield(L, -1, "swallowed_at");
    const char* at = lua_tostring(L, -1);
    push_task_repr(L, tidx);
    // "file:line: RuntimeWarning: ...": the place of the pcall first, as
    // the "never awaited" warning starts with the place of the call.
    lua_pushfstring(L,
                    "%s: RuntimeWarning: %s was cancelled, and the pcall at %s caught the CancelledError, "
                    "but the task %s instead of stopping: after cleaning up, re-raise it (error(err, 0)), "
                    "or call asyncio.current_task():uncancel() if it should really go on",
                    at ? at : "?", lua_tostring(L, -1), at ? at : "?", how);
    size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    report(L, "swallowed_cancel", std::string(text, len), tidx);
    lua_settop(L, top);
  }
  swallow_clear(L, tidx, t);
}

}  // namespace luasync
