// trampoline.h: the one way a C++ function becomes a lua_CFunction.
//
// With Lua's C build an error (lua_error, luaL_error, a failed luaL_check*,
// an error inside lua_call...) and every lua_yield longjmp to the nearest
// lua_pcall / lua_resume, and a C++ exception must never cross Lua's own C
// frames. So every C function Lua calls is trampoline<F>: it runs F, catches
// every C++ exception (std::bad_alloc included) and raises the Lua error only
// once the catch block has ended (a longjmp out of a catch block would leave
// the exception object and the C++ runtime's state behind).
//
// Registering (the raw Lua API for it is used nowhere else: tools/lint/
// trampoline.sh checks):
//   static const Reg fns[] = {{"run", fn<l_run>}, {nullptr, nullptr}};
//   set_funcs(L, fns);                 // luaL_setfuncs
//   new_lib(L, fns);                   // luaL_newlib
//   push_fn<l_gc>(L);                  // lua_pushcfunction
//   push_closure<l_f>(L, n);           // lua_pushcclosure
//   yieldk<k>(L, n, ctx);              // lua_yieldk with a continuation
//   callk<k>(L, nargs, nres, ctx);     // lua_callk
//   pcallk<k>(L, nargs, nres, msgh, ctx);
// A Reg can only be made from fn<F>, so a table cannot hold a raw function.
//
// The error discipline the trampoline does not enforce by itself (no object
// with a destructor live across a raising call; state to undo on error in a
// to-be-closed value) is in docs/internals.md.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>

namespace luasync {

namespace bind_detail {

// Raises the Lua error for a caught C++ exception: "not enough memory" for
// std::bad_alloc (oom), else msg. Called after the catch block has ended.
[[noreturn]] inline void raise_cxx(lua_State* L, bool oom, const char* msg) {
  if (oom) {
    lua_pushliteral(L, "not enough memory");
  } else {
    lua_pushstring(L, msg);
  }
  lua_error(L);
  __builtin_unreachable();
}

// Copies what() into the caller's fixed buffer (no allocation).
inline void copy_what(char* buf, std::size_t size, const char* what) {
  std::size_t i = 0;
  if (what)
    for (; i + 1 < size && what[i]; i++) buf[i] = what[i];
  buf[i] = '\0';
}

constexpr std::size_t kMsgSize = 240;

}  // namespace bind_detail

template <lua_CFunction F>
int trampoline(lua_State* L) {
  char msg[bind_detail::kMsgSize];
  bool oom = false;
  try {
    return F(L);
  } catch (const std::bad_alloc&) {
    oom = true;
  } catch (const std::exception& e) {
    bind_detail::copy_what(msg, sizeof msg, e.what());
  } catch (...) {
    bind_detail::copy_what(msg, sizeof msg, "unknown C++ exception");
  }
  bind_detail::raise_cxx(L, oom, msg);
}

// The same for a continuation (lua_KFunction).
template <lua_KFunction K>
int ktrampoline(lua_State* L, int status, lua_KContext ctx) {
  char msg[bind_detail::kMsgSize];
  bool oom = false;
  try {
    return K(L, status, ctx);
  } catch (const std::bad_alloc&) {
    oom = true;
  } catch (const std::exception& e) {
    bind_detail::copy_what(msg, sizeof msg, e.what());
  } catch (...) {
    bind_detail::copy_what(msg, sizeof msg, "unknown C++ exception");
  }
  bind_detail::raise_cxx(L, oom, msg);
}

template <lua_CFunction F>
struct Fn {};
template <lua_CFunction F>
inline constexpr Fn<F> fn{};

// A luaL_Reg whose function is always a trampoline.
struct Reg {
  template <lua_CFunction F>
  constexpr Reg(const char* n, Fn<F>) : name(n), func(&trampoline<F>) {}
  constexpr Reg(std::nullptr_t, std::nullptr_t) : name(nullptr), func(nullptr) {}
  const char* name;
  lua_CFunction func;
};

// luaL_setfuncs(L, regs, nup) for a Reg array ending in {nullptr, nullptr}.
inline void set_funcs(lua_State* L, const Reg* regs, int nup = 0) {
  static_assert(sizeof(Reg) == sizeof(luaL_Reg) && offsetof(Reg, func) == offsetof(luaL_Reg, func));
  luaL_setfuncs(L, reinterpret_cast<const luaL_Reg*>(regs), nup);
}

// luaL_newlib.
template <std::size_t N>
inline void new_lib(lua_State* L, const Reg (&regs)[N]) {
  lua_createtable(L, 0, static_cast<int>(N - 1));
  set_funcs(L, regs);
}

// The trampoline of F, as a value (for an API that takes a lua_CFunction).
template <lua_CFunction F>
inline constexpr lua_CFunction cfn = &trampoline<F>;

// Pushes the function of a Reg (already a trampoline).
inline void push_reg(lua_State* L, const Reg& r) { lua_pushcfunction(L, r.func); }
// Pushes f, which must be a cfn<F> (a trampoline passed around as a value).
inline void push_cfn(lua_State* L, lua_CFunction f, int nup = 0) { lua_pushcclosure(L, f, nup); }

template <lua_CFunction F>
inline void push_fn(lua_State* L) {
  lua_pushcfunction(L, &trampoline<F>);
}

template <lua_CFunction F>
inline void push_closure(lua_State* L, int nup) {
  lua_pushcclosure(L, &trampoline<F>, nup);
}

template <lua_KFunction K>
inline int yieldk(lua_State* L, int nresults, lua_KContext ctx) {
  return lua_yieldk(L, nresults, ctx, &ktrampoline<K>);
}

template <lua_KFunction K>
inline void callk(lua_State* L, int nargs, int nresults, lua_KContext ctx) {
  lua_callk(L, nargs, nresults, ctx, &ktrampoline<K>);
}

template <lua_KFunction K>
inline int pcallk(lua_State* L, int nargs, int nresults, int msgh, lua_KContext ctx) {
  return lua_pcallk(L, nargs, nresults, msgh, ctx, &ktrampoline<K>);
}

// The lua_atpanic handler: an error outside any protected call (a bug of
// luasync's: everything it runs is protected). Prints a clear message on
// stderr and aborts, where Lua would abort with a terse one.
inline int panic_handler(lua_State* L) {
  const char* msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
  std::fprintf(stderr,
               "luasync: fatal: a Lua error escaped every protected call (a bug of luasync: please report it)\n"
               "  error: %s\n",
               msg ? msg : "(not a string)");
  std::fflush(stderr);
  std::abort();
  return 0;
}

// Installs panic_handler on the state of L.
inline void install_panic_handler(lua_State* L) { lua_atpanic(L, panic_handler); }

}  // namespace luasync
