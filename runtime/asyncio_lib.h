// asyncio_lib.h: the asyncio module.
#pragma once

#include <lua.hpp>

namespace luasync {

// Pushes the asyncio table, creating the runtime on first use (idempotent).
int open_asyncio(lua_State* L);

}  // namespace luasync

extern "C" int luaopen_asyncio(lua_State* L);
