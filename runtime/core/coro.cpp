// coro.cpp: coroutine functions and objects, await, sleep (see coro.h).
#include "coro.h"

#include <cmath>
#include <cstdio>
#include <new>
#include <set>
#include <string>

#include "future.h"
#include "loop.h"
#include "runtime.h"
#include "task.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

Coro* to_coro(lua_State* L, int idx) {
  // Only our code makes userdata of this size starting with the magic word
  // (Lua code cannot write into userdata), so this is a safe type test.
  auto* c = static_cast<Coro*>(lua_touserdata(L, idx));
  if (!c || lua_rawlen(L, idx) != sizeof(Coro) || c->magic != kCoroMagic) return nullptr;
  return c;
}

bool in_task(lua_State* L) {
  Runtime* rt = runtime(L);
  return rt->loop && rt->loop->current_task() && rt->loop->current_task()->co == L;
}

// coro_push_call without the stack check: the caller has room for 2 + nargs.
static int push_body_and_args(lua_State* L, int idx, Coro* c) {
  int n = c->nargs;
  lua_getiuservalue(L, idx, CORO_UV_FN);
  for (int i = 0; i < n; i++) lua_getiuservalue(L, idx, CORO_UV_ARG0 + i);
  if (c->state == Coro::Created) {
    Runtime* rt = runtime(L);
    rt->unawaited--;
    // Awaited (or scheduled) right after its creation, as most are: it
    // needs no finalizer, so it leaves the recent list now (its ring slot,
    // left stale, anchors it until overwritten or flushed).
    if (rt->recent_count > 0 && rt->recent_objs[rt->recent_count - 1] == c) rt->recent_count--;
  }
  c->state = Coro::Running;
  return n;
}

int coro_push_call(lua_State* L, int idx, Coro* c) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, c->nargs + 2, "too many arguments");
  return push_body_and_args(L, idx, c);
}

void push_coro_label(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (!to_coro(L, idx)) {
    lua_pushliteral(L, "?");
    return;
  }
  lua_getiuservalue(L, idx, CORO_UV_NAME);
  const char* name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "anonymous";
  lua_Debug ar;
  lua_getiuservalue(L, idx, CORO_UV_FN);
  lua_getinfo(L, ">S", &ar);
  if (*ar.what == 'C')
    lua_pushfstring(L, "%s()", name);
  else
    lua_pushfstring(L, "%s() at %s:%d", name, ar.short_src, ar.linedefined);
  lua_remove(L, -2);
}

// ---------------------------------------------------------------- creation

static int coro_factory(lua_State* L);
static int sleep_factory(lua_State* L);

// Recently created coroutine objects, anchored in a ring table until
// coro_flush_recent decides whether they need a finalizer.
static constexpr int kRecentMax = kCoroRecentMax;

void coro_flush_recent(lua_State* L) {
  Runtime* rt = runtime(L);
  if (rt->recent_high == 0) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->recent_ref);
  int ring = lua_gettop(L);
  // Slots 1..recent_count hold recent_objs[0..recent_count-1]; the rest up
  // to recent_high are stale (objects awaited at once, see coro_push_call).
  for (int i = 0; i < rt->recent_count; i++) {
    if (rt->recent_objs[i]->state != Coro::Created) continue;
    lua_rawgeti(L, ring, i + 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &rt->coro_gc_mt);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
  }
  for (int i = 1; i <= rt->recent_high; i++) {
    lua_pushnil(L);
    lua_rawseti(L, ring, i);
  }
  rt->recent_count = 0;
  rt->recent_high = 0;
  lua_pop(L, 1);
}

// Makes a coroutine object for body `fn` (at fn_idx) named by the value at
// name_idx (absolute or upvalue pseudo-indices) with the nargs values on top
// of the stack as its arguments; replaces them by the object. The metatable
// and the recent ring are at mt_idx and ring_idx, or 0 to fetch them from
// the registry (coroutine functions keep them as upvalues: see l_async; the
// ring is used only if it is still the registry's, as recent_objs must match
// it, whatever the debug library did to the upvalue). Needs 3 free stack
// slots.
static void make_coro(lua_State* L, int fn_idx, int name_idx, int nargs, int mt_idx = 0, int ring_idx = 0) {
  Runtime* rt = runtime(L);
  int first = lua_gettop(L) - nargs + 1;
  bool from = rt->track_origin;
  auto* c = new (lua_newuserdatauv(L, sizeof(Coro), CORO_UV_ARG0 - 1 + nargs + from)) Coro();
  c->nargs = static_cast<uint16_t>(nargs);
  if (mt_idx)
    lua_pushvalue(L, mt_idx);
  else
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->coro_mt_ref);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, fn_idx);
  lua_setiuservalue(L, -2, CORO_UV_FN);
  lua_pushvalue(L, name_idx);
  lua_setiuservalue(L, -2, CORO_UV_NAME);
  if (from) {
    // Where it was created: the calling function (its source is looked up
    // only if the warning fires) and the line.
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "fl", &ar)) {
      c->line = ar.currentline;
      c->has_from = true;
      lua_setiuservalue(L, -2, CORO_UV_ARG0 + nargs);
    }
  }
  if (nargs > 0) {
    // The object below its arguments, which then move into it from the top.
    lua_rotate(L, first, 1);
    for (int i = nargs - 1; i >= 0; i--) lua_setiuservalue(L, first, CORO_UV_ARG0 + i);
  }
  rt->unawaited++;
  if (rt->recent_count == kRecentMax) coro_flush_recent(L);
  if (ring_idx && lua_topointer(L, ring_idx) == rt->recent_ring) {
    lua_pushvalue(L, first);
    lua_rawseti(L, ring_idx, ++rt->recent_count);
  } else {
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->recent_ref);
    lua_pushvalue(L, first);
    lua_rawseti(L, -2, ++rt->recent_count);
    lua_pop(L, 1);
  }
  rt->recent_objs[rt->recent_count - 1] = c;
  if (rt->recent_count > rt->recent_high) rt->recent_high = rt->recent_count;
}

// The name a coroutine function is called by (`fetch` in `fetch(url)`),
// found on the first call and cached in upvalue 2 (false when unknown).
static void find_factory_name(lua_State* L) {
  lua_Debug ar;
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name)
    lua_pushstring(L, ar.name);
  else
    lua_pushboolean(L, 0);
  lua_replace(L, lua_upvalueindex(2));
}

void push_native_coro(lua_State* L, lua_CFunction body, const char* name, int nargs) {
  push_cfn(L, body);
  lua_pushstring(L, name);
  lua_rotate(L, -nargs - 2, 2);  // body and name below the arguments
  int base = lua_gettop(L) - nargs;
  make_coro(L, base - 1, base, nargs);
  // Now: body, name, object. Keep only the object.
  lua_replace(L, base - 1);
  lua_settop(L, base - 1);
}

static int coro_factory(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs >= 250) luaL_error(L, "too many arguments for a coroutine function");
  if (lua_type(L, lua_upvalueindex(2)) == LUA_TNIL) find_factory_name(L);
  make_coro(L, lua_upvalueindex(1), lua_upvalueindex(2), nargs, lua_upvalueindex(3), lua_upvalueindex(4));
  return 1;
}

static int l_async(lua_State* L) {
  if (lua_type(L, 1) != LUA_TFUNCTION) arg_error(L, 1, "function");
  if (lua_tocfunction(L, 1) == cfn<coro_factory> || lua_tocfunction(L, 1) == cfn<sleep_factory>)
    luaL_argerror(L, 1, "already a coroutine function");
  lua_settop(L, 1);
  Runtime* rt = runtime(L);
  lua_pushnil(L);  // name, found on first call
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->coro_mt_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->recent_ref);
  push_closure<coro_factory>(L, 4);
  return 1;
}

// ---------------------------------------------------------------- await

int l_await(lua_State* L);

// Raises the error at the top if the task is being resumed with a throw
// (the resume values start at `first`).
static void check_throw(lua_State* L, int first) {
  if (lua_gettop(L) >= first + 1 && lua_touserdata(L, first) == &kResumeThrow) {
    lua_pushvalue(L, first + 1);
    lua_error(L);
  }
}

// Pushes the results of the done future at idx, or raises its error; when the
// future is a failed task, notes its traceback for the awaiting task's.
static int push_awaited_result(lua_State* L, int idx) {
  Future* f = to_future(L, idx);
  if (f->is_task && f->state != Future::Pending && (f->has_exception || f->state == Future::Cancelled)) {
    std::string frames;
    if (lua_getiuservalue(L, idx, UV_EXTRA) == LUA_TTABLE) {
      lua_getfield(L, -1, "traceback");
      if (lua_type(L, -1) == LUA_TSTRING) frames = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (!frames.empty()) {
      push_task_name(L, idx);
      std::string what = std::string("task '") + lua_tostring(L, -1) + "'";
      lua_pop(L, 1);
      lua_getiuservalue(L, idx, UV_RESULT);
      note_rethrow(L, -1, frames, what);
      lua_pop(L, 1);
    }
  }
  return future_push_result(L, idx);
}

static int await_coro_k(lua_State* L, int, lua_KContext ctx) {
  reinterpret_cast<Coro*>(ctx)->state = Coro::Done;  // anchored at index 1
  if (Runtime* rt = runtime(L); rt->c_depth > 0) rt->c_depth--;
  return lua_gettop(L) - 1;
}

// Inline awaits nested deeper than this since the task's last resume make
// the task yield (kYieldDeep) and be resumed at once, which empties the C
// stack (see await_value). Each nested await, and each pcall (swallow.cpp
// counts them too), is one C call level of the LUAI_MAXCCALLS (200) a
// thread may nest; the rest is left for what runs the task (asyncio.run,
// the REPL, a lesson's checker) and for metamethods. Chains up to this deep
// (W4's are 50) never yield; deeper ones yield once per 100 levels.
static constexpr int kMaxInlineDepth = 100;

// Continuation after a kYieldDeep: stack [coro, body, args...], resumed with
// no values, on a fresh C stack. Calls the body.
static int await_deep_k(lua_State* L, int, lua_KContext ctx) {
  runtime(L)->c_depth++;
  callk<await_coro_k>(L, lua_gettop(L) - 2, LUA_MULTRET, ctx);
  return await_coro_k(L, LUA_OK, ctx);
}

static int await_future_k(lua_State* L, int, lua_KContext) {
  check_throw(L, 2);
  lua_settop(L, 1);
  return push_awaited_result(L, 1);
}

static int await_meta_k(lua_State* L, int, lua_KContext) {
  // __await returned an awaitable: await it in place of the original.
  lua_settop(L, 2);
  lua_replace(L, 1);
  return await_value(L, 1);
}

// Free Lua stack slots a deep chain's await wants before its next
// kMaxInlineDepth levels (checked when it yields kYieldDeep, not on every
// await: lua_checkstack would cost 1.5% of W4), so that a chain too deep for
// the Lua stack usually fails here, with this message (bodies of more than
// 20 slots a level may reach Lua's own plain "stack overflow" first).
static constexpr int kAwaitStackReserve = 2000;

[[noreturn]] static void stack_overflow(lua_State* L) {
  luaL_error(L, "stack overflow: coroutines awaiting each other nest too deep for the Lua stack "
                "(%d values at most)", LUAI_MAXSTACK);
  __builtin_unreachable();
}

[[noreturn]] static void not_in_task(lua_State* L) {
  Runtime* rt = runtime(L);
  if (!rt->loop)
    luaL_error(L, "await called outside a running event loop (start one with asyncio.run(main()))");
  luaL_error(L, "await called outside an async function: only the coroutine of a running task can await "
                "(not the main chunk, a plain coroutine, or a callback)");
  __builtin_unreachable();
}

template <lua_KFunction k>
static int sleep_yield(lua_State* L, double delay);
static int sleep_await_k(lua_State* L, int, lua_KContext);

int await_value(lua_State* L, int idx) {
  // Expects the awaitable at index 1 (idx is kept for clarity of callers).
  (void)idx;
  if (Coro* c = to_coro(L, 1)) {
    Runtime* rt = runtime(L);
    if (!rt->loop || !rt->loop->current_task() || rt->loop->current_task()->co != L) not_in_task(L);
    if (c->state != Coro::Created) {
      push_coro_label(L, 1);
      luaL_error(L, "cannot await coroutine %s: it was already awaited (a coroutine object runs once)",
                 lua_tostring(L, -1));
    }
    // The stack is [aw] in a C function: room for LUA_MINSTACK values.
    if (c->nargs + 3 > LUA_MINSTACK) luaL_checkstack(L, c->nargs + 2, "too many arguments");
    int n = push_body_and_args(L, 1, c);
    if (c->is_sleep) return sleep_yield<sleep_await_k>(L, lua_tonumber(L, 3));
    auto ctx = reinterpret_cast<lua_KContext>(c);
    // The body runs inline, called from here: one more C call level. Deep
    // chains would reach Lua's C-call limit ("C stack overflow" at 200), so
    // past kMaxInlineDepth the task yields kYieldDeep; task_step resumes it
    // at once (no other task runs, no loop turn), and the resumed thread
    // continues in await_deep_k with the C stack empty again: every await
    // still pending below is a continuation in Lua's call info list. The
    // only limit left is the Lua stack (LUAI_MAXSTACK values).
    if (++rt->c_depth > kMaxInlineDepth && lua_isyieldable(L)) {
      if (!lua_checkstack(L, kAwaitStackReserve)) {
        c->state = Coro::Done;
        stack_overflow(L);
      }
      lua_pushlightuserdata(L, &kYieldDeep);
      return yieldk<await_deep_k>(L, 1, ctx);
    }
    callk<await_coro_k>(L, n, LUA_MULTRET, ctx);
    return await_coro_k(L, LUA_OK, ctx);
  }
  if (Future* f = to_future(L, 1)) {
    if (!in_task(L)) not_in_task(L);
    if (f->done()) return push_awaited_result(L, 1);
    if (f->loop_id != runtime(L)->loop->id())
      luaL_error(L, "cannot await a future of another event loop");
    lua_pushlightuserdata(L, &kYieldFuture);
    lua_pushvalue(L, 1);
    return yieldk<await_future_k>(L, 2, 0);
  }
  if (luaL_getmetafield(L, 1, "__await") != LUA_TNIL) {
    lua_pushvalue(L, 1);
    callk<await_meta_k>(L, 1, 1, 0);
    return await_meta_k(L, LUA_OK, 0);
  }
  if (lua_type(L, 1) == LUA_TFUNCTION &&
      (lua_tocfunction(L, 1) == cfn<coro_factory> || lua_tocfunction(L, 1) == cfn<sleep_factory>))
    luaL_argerror(L, 1, "coroutine object expected, got a coroutine function (call it: await(f()))");
  if (lua_isnone(L, 1)) luaL_argerror(L, 1, "awaitable expected, got no value");
  arg_error(L, 1, "awaitable (coroutine object, Task, Future, or value with __await)");
}

int l_await(lua_State* L) {
  if (int n = lua_gettop(L); n != 1) {
    if (n == 0) luaL_argerror(L, 1, "awaitable expected, got no value");
    lua_settop(L, 1);
  }
  return await_value(L, 1);
}

// ---------------------------------------------------------------- sleep

// Continuation of an endless sleep: ctx is the stack index of its future.
static int sleep_forever_k(lua_State* L, int, lua_KContext ctx) {
  int fut = static_cast<int>(ctx);
  check_throw(L, fut + 1);
  return future_push_result(L, fut);  // raises its CancelledError
}

// Suspends the running task for `delay` seconds (validated already); the
// continuation k gets the resume values above the current stack.
template <lua_KFunction k>
static int sleep_yield(lua_State* L, double delay) {
  if (delay <= 0) {
    lua_pushlightuserdata(L, &kYieldBare);
    return yieldk<k>(L, 1, 0);
  }
  if (std::isinf(delay)) {
    // Forever: wait on a future nothing completes; only cancelling it (or
    // the task) ends the wait, and that raises.
    push_new_future(L);
    int fut = lua_gettop(L);
    lua_pushlightuserdata(L, &kYieldFuture);
    lua_pushvalue(L, fut);
    return yieldk<sleep_forever_k>(L, 2, fut);
  }
  lua_pushlightuserdata(L, &kYieldSleep);
  lua_pushnumber(L, delay);
  return yieldk<k>(L, 2, 0);
}

static int sleep_k(lua_State* L, int, lua_KContext) {
  check_throw(L, 3);
  lua_settop(L, 2);
  return 1;  // the value
}

// The native body of asyncio.sleep(delay, value), for when a sleep object is
// called rather than awaited directly (e.g. wrapped in a task).
static int sleep_body(lua_State* L) {
  lua_settop(L, 2);
  return sleep_yield<sleep_k>(L, lua_tonumber(L, 1));
}

// await(asyncio.sleep(d, v)): stack [coro, body, d, v]. Yielding from here
// rather than from a called body keeps the C stack short (each nested C
// call counts against LUAI_MAXCCALLS).
static int sleep_await_k(lua_State* L, int, lua_KContext) {
  check_throw(L, 5);
  lua_settop(L, 4);
  return 1;
}

static int sleep_factory(lua_State* L) {
  int t = lua_type(L, 1);
  if (t != LUA_TNUMBER) {
    if (lua_isnone(L, 1)) luaL_argerror(L, 1, "number of seconds expected, got no value");
    arg_error(L, 1, "number of seconds");
  }
  double d = lua_tonumber(L, 1);
  if (std::isnan(d)) luaL_argerror(L, 1, "delay is NaN");
  if (d < 0) luaL_argerror(L, 1, lua_pushfstring(L, "non-negative delay expected, got %f", d));
  lua_settop(L, 2);
  push_fn<sleep_body>(L);
  lua_pushliteral(L, "sleep");
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  make_coro(L, 3, 4, 2);
  to_coro(L, -1)->is_sleep = true;
  return 1;
}

// ---------------------------------------------------------------- coroutine object

static int l_iscoroutine(lua_State* L) {
  lua_pushboolean(L, to_coro(L, 1) != nullptr);
  return 1;
}

static int l_iscoroutinefunction(lua_State* L) {
  lua_CFunction f = lua_type(L, 1) == LUA_TFUNCTION ? lua_tocfunction(L, 1) : nullptr;
  lua_pushboolean(L, f == cfn<coro_factory> || f == cfn<sleep_factory>);
  return 1;
}

static int l_coro_tostring(lua_State* L) {
  Coro* c = to_coro(L, 1);
  if (!c) arg_error(L, 1, "coroutine object");
  push_coro_label(L, 1);
  const char* state = c->state == Coro::Created ? "created" : c->state == Coro::Running ? "running" : "done";
  lua_pushfstring(L, "<coroutine %s (%s)>", lua_tostring(L, -1), state);
  return 1;
}

// coro:close(): never run it, and do not warn that it was never awaited.
static int l_coro_close(lua_State* L) {
  Coro* c = to_coro(L, 1);
  if (!c) arg_error(L, 1, "coroutine object");
  if (c->state == Coro::Created) {
    runtime(L)->unawaited--;
    c->state = Coro::Done;
  }
  return 0;
}

static int l_coro_gc(lua_State* L) {
  Coro* c = to_coro(L, 1);
  if (!c || c->state != Coro::Created) return 0;
  Runtime* rt = runtime(L);
  rt->unawaited--;
  // "coroutine 'fetch' was never awaited", once per place of creation.
  std::string where = "?";
  if (c->has_from && lua_getiuservalue(L, 1, CORO_UV_ARG0 + c->nargs) == LUA_TFUNCTION) {
    lua_Debug ar;
    lua_getinfo(L, ">S", &ar);  // pops the function
    where = std::string(ar.short_src) + ":" + std::to_string(c->line);
  } else if (c->has_from) {
    lua_pop(L, 1);
  }
  lua_getiuservalue(L, 1, CORO_UV_NAME);
  std::string name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "anonymous";
  lua_pop(L, 1);
  std::string text = where + ": RuntimeWarning: coroutine '" + name + "' was never awaited";
  if (rt->report_hook) {  // the hook sees every one (the lesson sandbox counts them)
    report(L, "never_awaited", text, 1);
    return 0;
  }
  static std::set<std::string> reported;
  if (!reported.insert(where + "\n" + name).second) return 0;
  report(L, "never_awaited", text, 1);
  return 0;
}

void open_coro(lua_State* L) {
  Runtime* rt = runtime(L);
  // Two metatables, the same but for __gc (see coro_flush_recent).
  lua_newtable(L);  // methods
  push_fn<l_coro_close>(L);
  lua_setfield(L, -2, "close");
  for (int with_gc = 0; with_gc < 2; with_gc++) {
    if (with_gc)
      lua_newtable(L);
    else
      luaL_newmetatable(L, kCoroMT);
    lua_pushstring(L, kCoroMT);
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "__index");
    push_fn<l_coro_tostring>(L);
    lua_setfield(L, -2, "__tostring");
    if (with_gc) {
      push_fn<l_coro_gc>(L);
      lua_setfield(L, -2, "__gc");
      lua_rawsetp(L, LUA_REGISTRYINDEX, &rt->coro_gc_mt);
    } else {
      rt->coro_mt = lua_topointer(L, -1);
      lua_pushvalue(L, -1);
      rt->coro_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      lua_rawsetp(L, LUA_REGISTRYINDEX, rt->coro_mt);
    }
  }
  lua_pop(L, 1);
  lua_createtable(L, kRecentMax, 0);
  rt->recent_ring = lua_topointer(L, -1);
  rt->recent_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  static const Reg fns[] = {
      {"async", fn<l_async>},
      {"await", fn<l_await>},
      {"sleep", fn<sleep_factory>},
      {"iscoroutine", fn<l_iscoroutine>},
      {"iscoroutinefunction", fn<l_iscoroutinefunction>},
      {nullptr, nullptr},
  };
  set_funcs(L, fns, 0);
}

}  // namespace luasync
