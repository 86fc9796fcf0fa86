// modules.h: the submodules that require() finds (asyncio.http, asyncio.fs...).
//
// A submodule is Lua code in runtime/lua/modules/NAME.lua (embedded in the
// binary), optionally backed by a native part registered in kNativeModules of
// modules.cpp as require("asyncio._NAME"). The Lua chunk is called with the
// asyncio table and returns the module table.
#pragma once

#include <lua.hpp>

namespace luasync {

// Adds package.preload entries for every submodule.
void register_modules(lua_State* L);

}  // namespace luasync
