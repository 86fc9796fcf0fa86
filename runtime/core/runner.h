// runner.h: asyncio.Runner (runner.cpp).
#pragma once

#include <lua.hpp>

namespace luasync {

// asyncio.Runner([opts]) -> runner
int l_runner_new(lua_State* L);

}  // namespace luasync
