// scope.h: state that must be undone when a C function ends, by return or
// by a Lua error (a longjmp, which runs no C++ destructor).
//
//   SigintHandler& s = *push_scoped<SigintHandler>(L, L, loop, idx);
//
// constructs the object inside a new userdata on top of the stack, marked
// to-be-closed (lua_toclose): Lua runs its destructor when the C function
// returns, when an error unwinds it, or when the slot is popped (and at the
// latest when the userdata is collected). The object must stay in its slot:
// never lua_settop/lua_pop below it before the end. Its constructor must not
// raise a Lua error (a C++ exception is fine: the object is then not live).
#pragma once

#include <lua.hpp>

#include <new>
#include <utility>

#include "trampoline.h"

namespace luasync {

namespace bind_detail {

template <class T>
struct ScopedBox {
  alignas(T) unsigned char storage[sizeof(T)];
  bool live;
  T* get() { return std::launder(reinterpret_cast<T*>(storage)); }
};

template <class T>
int scoped_close(lua_State* L) {
  auto* b = static_cast<ScopedBox<T>*>(lua_touserdata(L, 1));
  if (b && b->live) {
    b->live = false;
    b->get()->~T();
  }
  return 0;
}

template <class T>
inline char scoped_key = 0;

}  // namespace bind_detail

template <class T, class... Args>
T* push_scoped(lua_State* L, Args&&... args) {
  using Box = bind_detail::ScopedBox<T>;
  auto* b = static_cast<Box*>(lua_newuserdatauv(L, sizeof(Box), 0));
  b->live = false;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &bind_detail::scoped_key<T>) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    push_fn<bind_detail::scoped_close<T>>(L);
    lua_setfield(L, -2, "__close");
    push_fn<bind_detail::scoped_close<T>>(L);
    lua_setfield(L, -2, "__gc");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &bind_detail::scoped_key<T>);
  }
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);
  new (b->storage) T(std::forward<Args>(args)...);
  b->live = true;
  return b->get();
}

}  // namespace luasync
