// asyncio_lib.cpp: luaopen_asyncio, the one place that knows every layer.
#include "asyncio_lib.h"

#include "call_graph.h"
#include "modules.h"
#include "recorder.h"
#include "run.h"
#include "trampoline.h"

namespace luasync {

int open_asyncio(lua_State* L) {
  if (!open_core(L)) return 1;  // pushed the existing table
  open_call_graph(L);           // observe: asyncio.print_call_graph...
  install_run_recording(L);     // observe: asyncio.run's timeline / trace
  register_modules(L);          // io: require("asyncio.fs"), ...
  // The Lua layers, compiled into the binary, in dependency order.
  load_embedded_layer(L, embedded_core_chunks());
  load_embedded_layer(L, embedded_io_chunks());
  return 1;
}

void open_luasync_globals(lua_State* L) {
  luaL_requiref(L, "asyncio", cfn<open_asyncio>, 1);
  lua_getfield(L, -1, "async");
  lua_setglobal(L, "async");
  lua_getfield(L, -1, "await");
  lua_setglobal(L, "await");
  // pcall and xpcall as Lua's, which in debug mode also notice a task
  // swallowing its own cancellation (core/swallow.h).
  lua_getfield(L, -1, "pcall");
  lua_setglobal(L, "pcall");
  lua_getfield(L, -1, "xpcall");
  lua_setglobal(L, "xpcall");
  lua_getfield(L, -1, "time");  // asyncio.time: time.sleep, time.time, time.monotonic
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "time");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "time");
  lua_pop(L, 1);
}

}  // namespace luasync

// A stock lua5.4 calls this directly: through the trampoline like every
// other C function of ours.
extern "C" int luaopen_asyncio(lua_State* L) { return luasync::trampoline<luasync::open_asyncio>(L); }
