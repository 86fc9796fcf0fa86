// loop_lib.cpp: the Lua face of the loop: loop:time(), call_soon, call_later,
// call_at and their handles, create_future, create_task.
#include <cmath>
#include <new>

#include "future.h"
#include "loop.h"
#include "loop_lib.h"
#include "task.h"
#include "trampoline.h"

namespace luasync {

Loop* check_loop(lua_State* L, int idx) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, idx, kLoopMT));
  if (loop->closed()) luaL_error(L, "the event loop is closed");
  Runtime* rt = runtime(L);
  if (rt->loop != loop) luaL_error(L, "the event loop is not running");
  return loop;
}

static void check_callable(lua_State* L, int idx) {
  if (lua_type(L, idx) == LUA_TFUNCTION) return;
  if (luaL_getmetafield(L, idx, "__call") != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  arg_error(L, idx, "function");
}

static double check_delay(lua_State* L, int idx, bool allow_negative) {
  if (lua_type(L, idx) != LUA_TNUMBER) arg_error(L, idx, "number");
  double d = lua_tonumber(L, idx);
  if (std::isnan(d)) luaL_argerror(L, idx, "number expected, got NaN");
  if (!allow_negative && d < 0)
    luaL_argerror(L, idx, lua_pushfstring(L, "non-negative delay expected, got %f", d));
  return d;
}

// Makes a handle userdata holding the callback at fn_idx and the arguments
// after it up to the top. Pushes it.
static Handle* push_handle(lua_State* L, int fn_idx, bool timer) {
  int nargs = lua_gettop(L) - fn_idx;
  if (nargs > 60000) luaL_error(L, "too many arguments");
  auto* h = new (lua_newuserdatauv(L, sizeof(Handle), nargs + 1)) Handle();
  h->timer = timer;
  h->nargs = static_cast<uint16_t>(nargs);
  luaL_setmetatable(L, timer ? kTimerHandleMT : kHandleMT);
  for (int i = 0; i <= nargs; i++) {
    lua_pushvalue(L, fn_idx + i);
    lua_setiuservalue(L, -2, i + 1);
  }
  return h;
}

static int l_time(lua_State* L) {
  lua_pushnumber(L, check_loop(L, 1)->time());
  return 1;
}

static int l_call_soon(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  check_callable(L, 2);
  push_handle(L, 2, false);
  lua_pushvalue(L, -1);
  loop->schedule_handle(L);
  return 1;
}

static int call_at(lua_State* L, Loop* loop, double when) {
  check_callable(L, 3);
  Handle* h = push_handle(L, 3, true);
  h->when = when;
  lua_pushvalue(L, -1);
  loop->add_handle_timer(L, h);
  return 1;
}

static int l_call_later(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  double d = check_delay(L, 2, false);
  return call_at(L, loop, loop->time() + d);
}

static int l_call_at(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  return call_at(L, loop, check_delay(L, 2, true));
}

static int l_create_future(lua_State* L) {
  check_loop(L, 1);
  push_new_future(L);
  return 1;
}

static int l_loop_create_task(lua_State* L) {
  check_loop(L, 1);
  push_new_task(L, 2, lua_isnoneornil(L, 3) ? 0 : 3);
  return 1;
}

static int l_is_running(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  lua_pushboolean(L, runtime(L)->loop == loop);
  return 1;
}

static int l_is_closed(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  lua_pushboolean(L, loop->closed());
  return 1;
}

static int l_get_debug(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  lua_pushboolean(L, loop->options().debug);
  return 1;
}

static int l_is_virtual(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  lua_pushboolean(L, !loop->closed() && loop->clock().is_virtual());
  return 1;
}

static int l_loop_tostring(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  if (loop->closed()) {
    lua_pushliteral(L, "<Loop closed>");
  } else {
    lua_pushfstring(L, "<Loop %s clock=%s time=%f tasks=%I>",
                    runtime(L)->loop == loop ? "running" : "stopped",
                    loop->clock().is_virtual() ? "virtual" : "real", loop->time(),
                    static_cast<lua_Integer>(loop->task_count()));
  }
  return 1;
}

// The loop's finalizer. Lua calls it once, when nothing can reach the loop
// (or the state closes); a script can also reach it (debug.getmetatable) and
// call it on anything, any number of times: it checks its argument, refuses
// the running loop, and leaves a finalized loop without a metatable, so that
// nothing can use it or finalize it again (a Runner checks for that).
static int l_loop_gc(lua_State* L) {
  auto* loop = static_cast<Loop*>(luaL_checkudata(L, 1, kLoopMT));
  if (runtime(L)->loop == loop) return luaL_error(L, "the running event loop cannot be finalized");
  loop->close(L);  // idempotent: the I/O layers let go of it first
  loop->~Loop();
  lua_pushnil(L);
  lua_setmetatable(L, 1);
  return 0;
}

// ---------------------------------------------------------------- handles

static Handle* check_handle(lua_State* L) {
  void* p = luaL_testudata(L, 1, kHandleMT);
  if (!p) p = luaL_testudata(L, 1, kTimerHandleMT);
  if (!p) arg_error(L, 1, "Handle");
  return static_cast<Handle*>(p);
}

static int l_handle_cancel(lua_State* L) {
  check_handle(L)->cancelled = true;
  return 0;
}

static int l_handle_cancelled(lua_State* L) {
  lua_pushboolean(L, check_handle(L)->cancelled);
  return 1;
}

static int l_handle_when(lua_State* L) {
  lua_pushnumber(L, check_handle(L)->when);
  return 1;
}

static int l_handle_tostring(lua_State* L) {
  Handle* h = check_handle(L);
  lua_getiuservalue(L, 1, 1);
  std::string fn = describe_value(L, -1);
  if (h->timer)
    lua_pushfstring(L, "<TimerHandle%s when=%f %s>", h->cancelled ? " cancelled" : "", h->when, fn.c_str());
  else
    lua_pushfstring(L, "<Handle%s %s>", h->cancelled ? " cancelled" : "", fn.c_str());
  return 1;
}

void open_loop_lib(lua_State* L) {
  luaL_newmetatable(L, kLoopMT);
  static const Reg methods[] = {
      {"time", fn<l_time>},
      {"call_soon", fn<l_call_soon>},
      {"call_later", fn<l_call_later>},
      {"call_at", fn<l_call_at>},
      {"create_future", fn<l_create_future>},
      {"create_task", fn<l_loop_create_task>},
      {"is_running", fn<l_is_running>},
      {"is_closed", fn<l_is_closed>},
      {"get_debug", fn<l_get_debug>},
      {"is_virtual", fn<l_is_virtual>},
      {nullptr, nullptr},
  };
  new_lib(L, methods);
  lua_setfield(L, -2, "__index");
  push_fn<l_loop_tostring>(L);
  lua_setfield(L, -2, "__tostring");
  push_fn<l_loop_gc>(L);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  for (const char* name : {kHandleMT, kTimerHandleMT}) {
    luaL_newmetatable(L, name);
    static const Reg hmethods[] = {
        {"cancel", fn<l_handle_cancel>},
        {"cancelled", fn<l_handle_cancelled>},
        {"when", fn<l_handle_when>},
        {nullptr, nullptr},
    };
    new_lib(L, hmethods);
    lua_setfield(L, -2, "__index");
    push_fn<l_handle_tostring>(L);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
  }
}

}  // namespace luasync
