// tcp.h: TCP servers and connections: asyncio.start_server and
// asyncio.open_connection, the native module asyncio._stream.
//
// Names are resolved with uv_getaddrinfo on libuv's thread pool (numeric
// addresses at once); open_connection tries each address in turn, as
// Python does. A Server keeps its userdata alive while it listens (a server
// nobody references keeps serving, as in Python), runs handler(reader,
// writer) as a task per connection, and closes a connection whose handler
// failed or was cancelled. server:wait_closed() waits until the listening
// socket and every connection it accepted are closed (Python 3.12).
#pragma once

#include <lua.hpp>

namespace luasync {

inline constexpr const char* kServerMT = "asyncio.Server";

int luaopen_stream(lua_State* L);  // require("asyncio._stream")

}  // namespace luasync
