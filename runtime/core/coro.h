// coro.h: coroutine functions, coroutine objects, and await.
//
// `async(fn)` returns a coroutine function: a C closure that, when called,
// makes a coroutine object (userdata asyncio.coroutine) holding fn and the
// arguments, and runs nothing. Awaiting a coroutine object calls fn inline in
// the awaiting task's Lua thread (lua_callk; no new coroutine, no task
// switch). Only futures suspend a task: `await` yields (kYieldFuture, fut) to
// Task::step, whose resume continues in await's continuation. Deep chains of
// inline awaits yield kYieldDeep now and then, which Task::step answers with
// an immediate resume, to empty the C stack (see await_value).
#pragma once

#include <lua.hpp>

#include <cstdint>
#include "trampoline.h"

namespace luasync {

// User values: the body, its name, the arguments, and (when origin tracking
// is on) the function that created the object, for the "never awaited"
// warning's location.
enum : int {
  CORO_UV_FN = 1,    // the body
  CORO_UV_NAME = 2,  // the name it was called by (string) or false
  CORO_UV_ARG0 = 3,  // first argument; the creating function follows the last
};

inline constexpr uint32_t kCoroMagic = 0x436f726fu;  // "Coro"

struct Coro {
  enum State : uint8_t { Created, Running, Done };
  uint32_t magic = kCoroMagic;  // cheap type check (see to_coro)
  State state = Created;
  bool has_from = false;
  bool is_sleep = false;  // asyncio.sleep: await handles it without a call
  uint16_t nargs = 0;
  int32_t line = -1;  // line where it was created, or -1
};

// Coroutine objects get their finalizer (the "never awaited" warning) only if
// they are still unawaited when the loop iteration, or the REPL input, that
// created them ends: most are awaited at once, and a finalizer makes every
// object costly to collect. Call this at such points (and before lua_close).
void coro_flush_recent(lua_State* L);

Coro* to_coro(lua_State* L, int idx);
// Moves fn and args of the coroutine at idx onto L (pushes 1 + nargs values)
// and marks it running. Returns nargs.
int coro_push_call(lua_State* L, int idx, Coro* c);
// Pushes "name() at file:line" for a coroutine object.
void push_coro_label(lua_State* L, int idx);

// The await entry point, callable from C (the value to await at idx).
int await_value(lua_State* L, int idx);
// `await` itself. To await from a native coroutine body (which may yield):
//   push_fn<l_await>(L); lua_pushvalue(L, fut_idx);
//   return callk<k>(L, 1, LUA_MULTRET, ctx), k(L, LUA_OK, ctx);
int l_await(lua_State* L);
// Replaces the nargs values on top of the stack by a coroutine object whose
// body is the C function `body` (called with those arguments when awaited,
// in the awaiting task's thread, so it may yield via l_await as above).
void push_native_coro(lua_State* L, lua_CFunction body, const char* name, int nargs);  // body: a cfn<F>

// Is L the thread of the task that is running now?
bool in_task(lua_State* L);

void open_coro(lua_State* L);  // async, await, sleep, iscoroutine... into asyncio (at -1)

}  // namespace luasync
