// modules.cpp: see modules.h.
#include "modules.h"

#include <cstring>
#include <string>

#include "embedded_lua.h"
#include "fs.h"
#include "process.h"
#include "runtime.h"
#include "tcp.h"

extern "C" int luaopen_asyncio__http(lua_State* L);
extern "C" int luaopen_asyncio__json(lua_State* L);

namespace luasync {

// Native parts of submodules: {"asyncio._NAME", luaopen function}. Each I/O
// layer adds its line here.
static const luaL_Reg kNativeModules[] = {
    {"asyncio._stream", luaopen_stream},
    {"asyncio._process", luaopen_process},
    {"asyncio._fs", luaopen_fs},
    {"asyncio._http", luaopen_asyncio__http},
    {"asyncio._json", luaopen_asyncio__json},
    {nullptr, nullptr},
};

// package.preload loader for an embedded Lua submodule (upvalue: its index).
static int load_embedded(lua_State* L) {
  const EmbeddedChunk* c = embedded_module_chunks() + lua_tointeger(L, lua_upvalueindex(1));
  if (luaL_loadbufferx(L, c->code, c->size, c->name, "t") != LUA_OK) lua_error(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, runtime(L)->asyncio_ref);
  lua_call(L, 1, 1);
  return 1;
}

void register_modules(lua_State* L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg* m = kNativeModules; m->name; m++) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  int i = 0;
  for (const EmbeddedChunk* c = embedded_module_chunks(); c->name; c++, i++) {
    // "@[asyncio]/http.lua" -> "asyncio.http"
    std::string base = std::strrchr(c->name, '/') + 1;
    base.resize(base.size() - 4);
    lua_pushinteger(L, i);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, ("asyncio." + base).c_str());
  }
  lua_pop(L, 1);
}

}  // namespace luasync
