// http_common.h: small helpers shared by the HTTP client and server.
#pragma once

#include <lua.hpp>

#include <cstdint>
#include <unordered_map>

#include "future.h"
#include "loop.h"
#include "lua_ref.h"
#include "runtime.h"
#include "trampoline.h"

namespace luasync::httpd {

// Registers metatable `name` (once) with `methods` as its __index table and
// `gc` as its __gc. Leaves the stack unchanged.
template <lua_CFunction gc>
inline void register_metatable(lua_State* L, const char* name, const Reg* methods) {
  if (luaL_newmetatable(L, name)) {
    lua_newtable(L);
    set_funcs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    push_fn<gc>(L);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
}

// Objects that libuv/curl/h2o callbacks refer to by id. A native entry
// scheduled on the loop carries the id (never a pointer), and looks the
// object up when it runs: if the object is gone by then, nothing happens.
// thread_local: each OS thread has its own Lua states and loops.
template <class T>
class IdMap {
 public:
  uint64_t add(T* p) {
    uint64_t id = next_++;
    map_[id] = p;
    return id;
  }
  void remove(uint64_t id) { map_.erase(id); }
  T* find(uint64_t id) const {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second;
  }
  size_t size() const { return map_.size(); }

 private:
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, T*> map_;
};

inline void* id_data(uint64_t id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
inline uint64_t data_id(void* data) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)); }

// A registry reference owned through the state's main thread, so that it can
// be released from any thread later (a task's thread may be gone by then).
inline LuaRef main_ref(lua_State* L, int idx) {
  lua_State* M = runtime(L)->main;
  lua_pushvalue(L, idx);
  if (L != M) lua_xmove(L, M, 1);
  return LuaRef::pop(M);
}

// The loop with this id if it is running and not closed, else nullptr. An
// object created on a loop that has since closed must not touch libuv: the
// loop closed its handles (uv_walk) and freed the uv_loop_t.
inline Loop* live_loop(lua_State* L, uint64_t loop_id) {
  Loop* loop = runtime(L)->loop;
  if (!loop || loop->id() != loop_id || loop->closed()) return nullptr;
  return loop;
}

// Resolves the future held by `ref` with no value unless it is done (it may
// have been cancelled), then releases the reference. Lua context only.
inline void wake_future(lua_State* L, LuaRef& ref) {
  if (!ref) return;
  ref.push(L);
  Future* f = to_future(L, -1);
  Loop* loop = runtime(L)->loop;
  if (f && !f->done() && loop && !loop->closed() && loop->id() == f->loop_id) future_set_result(L, -1, 0, 0);
  lua_pop(L, 1);
  ref.reset();
}

}  // namespace luasync::httpd
