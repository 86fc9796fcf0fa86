// lua_ref.h: an owning reference to a Lua value in the registry.
//
// Replaces hand-paired luaL_ref/luaL_unref. A LuaRef is move-only; it releases
// its slot when destroyed or reset. It must not outlive its lua_State.
#pragma once

#include <lua.hpp>

#include <utility>

namespace luasync {

class LuaRef {
 public:
  LuaRef() = default;
  // Pops the value on top of L's stack and keeps it. The reference is
  // released through L: L must outlive it (a task's thread may not: the
  // I/O layers anchor from the main thread with io_ref, io.h).
  static LuaRef pop(lua_State* L) { return LuaRef(L, luaL_ref(L, LUA_REGISTRYINDEX)); }
  // Keeps a copy of the value at idx (the stack is unchanged).
  static LuaRef at(lua_State* L, int idx) {
    lua_pushvalue(L, idx);
    return pop(L);
  }

  LuaRef(const LuaRef&) = delete;
  LuaRef& operator=(const LuaRef&) = delete;
  LuaRef(LuaRef&& o) noexcept : L_(o.L_), ref_(o.ref_) { o.ref_ = LUA_NOREF; }
  LuaRef& operator=(LuaRef&& o) noexcept {
    if (this != &o) {
      reset();
      L_ = o.L_;
      ref_ = std::exchange(o.ref_, LUA_NOREF);
    }
    return *this;
  }
  ~LuaRef() { reset(); }

  void reset() {
    if (ref_ != LUA_NOREF && ref_ != LUA_REFNIL) luaL_unref(L_, LUA_REGISTRYINDEX, ref_);
    ref_ = LUA_NOREF;
  }
  explicit operator bool() const { return ref_ != LUA_NOREF; }
  // Pushes the value onto `L` (any thread of the same state).
  void push(lua_State* L) const { lua_rawgeti(L, LUA_REGISTRYINDEX, ref_); }

 private:
  LuaRef(lua_State* L, int ref) : L_(L), ref_(ref) {}
  lua_State* L_ = nullptr;
  int ref_ = LUA_NOREF;
};

}  // namespace luasync
