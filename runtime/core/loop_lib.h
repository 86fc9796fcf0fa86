// loop_lib.h: Lua bindings of the loop and its handles.
#pragma once

#include <lua.hpp>

namespace luasync {

class Loop;

// The running loop userdata at idx (raises if closed or not running).
Loop* check_loop(lua_State* L, int idx);
void open_loop_lib(lua_State* L);  // registers the metatables
// time.sleep/time.time/time.monotonic as the global table `time`.
void open_time_lib(lua_State* L);

}  // namespace luasync
