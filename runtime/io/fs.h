// fs.h: files on libuv's fs requests (thread pool): the native part of
// require("asyncio.fs") (runtime/io/lua/modules/fs.lua adds walk, lines and
// the documentation).
//
// Every operation returns a future. Multi-step operations (read_file,
// write_file, an atomic write) chain their libuv requests inside libuv
// callbacks, with no Lua involved, and complete their future once, from the
// ready queue. An operation whose future was cancelled stops at its next
// step and releases what it opened (an atomic write removes its temp file).
//
// A File (fs.open) runs its operations one at a time, in the order they were
// asked for; reads go through a read-ahead buffer, so reading lines costs a
// thread-pool round trip per 64 KiB, not per line. Closing a file (close(),
// __close, __gc) while an operation is in flight closes the descriptor once
// that operation's request is done, never under it.
#pragma once

#include <lua.hpp>

namespace luasync {

inline constexpr const char* kFileMT = "asyncio.File";

int luaopen_fs(lua_State* L);  // require("asyncio._fs")

}  // namespace luasync
