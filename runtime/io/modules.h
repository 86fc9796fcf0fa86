// modules.h: the submodules that require() finds (asyncio.http, asyncio.fs...).
//
// A submodule is Lua code in runtime/io/lua/modules/NAME.lua (embedded in the
// binary), optionally backed by a native part registered in kNativeModules of
// modules.cpp as require("asyncio._NAME"). The Lua chunk is called with the
// asyncio table and returns the module table.
#pragma once

#include <lua.hpp>

#include <string>

#include "embedded_lua.h"

namespace luasync {

// Adds package.preload entries for every submodule.
void register_modules(lua_State* L);

// The I/O layer's additions to the asyncio table (runtime/io/lua/*.lua:
// streams, subprocesses), run after the core's.
const EmbeddedChunk* embedded_io_chunks();
// runtime/io/lua/modules/NAME.lua, each require("asyncio.NAME").
const EmbeddedChunk* embedded_module_chunks();

// Loads the HTTP plugin now rather than on the first require("asyncio.http"):
// a process that forks many children which will use HTTP (the lesson
// sandbox) loads its ~40 shared libraries once instead of once per child.
// False, with `err` set, when the plugin cannot be found or loaded.
bool preload_http_plugin(std::string* err);

}  // namespace luasync
