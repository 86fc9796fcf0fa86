// signals.h: loop:add_signal_handler / remove_signal_handler (signals.cpp).
#pragma once

#include <lua.hpp>

namespace luasync {

// require("asyncio._signal"): adds the two methods to the loop's metatable
// and returns the table of signal numbers by name (asyncio.signal).
int luaopen_signal(lua_State* L);

}  // namespace luasync
