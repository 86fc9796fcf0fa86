// process.h: subprocesses on uv_spawn (asyncio.create_subprocess_exec).
//
// A Process owns the uv_process_t handle; its piped stdin/stdout/stderr are
// Streams (stream.h) on libuv pipes, seen from Lua as a StreamWriter and
// StreamReaders. While the child runs, the loop's virtual clock is held
// (Loop::hold_clock), so time does not jump past the child's real work.
// If the loop closes while the child still runs, the child is killed and
// reaped, as Python does when a subprocess transport is closed.
#pragma once

#include <lua.hpp>

namespace luasync {

inline constexpr const char* kProcessMT = "asyncio.Process";

int luaopen_process(lua_State* L);  // require("asyncio._process")

}  // namespace luasync
