// asyncio_lib.h: the whole asyncio module, put together above the layers:
// the core's table and Lua layer (core/run.h), the observe layer's call
// graph and run recording, the I/O layer's submodules and Lua layer.
#pragma once

#include <lua.hpp>

#include "run.h"

namespace luasync {

// Pushes the asyncio table, creating the runtime on first use (idempotent).
int open_asyncio(lua_State* L);

// What luasync gives every program, on a state with the standard libraries:
// require("asyncio") done, and the globals asyncio, async, await, pcall,
// xpcall and time
// (time also as package.loaded.time). Leaves the stack as it was.
void open_luasync_globals(lua_State* L);

}  // namespace luasync

extern "C" int luaopen_asyncio(lua_State* L);
