// http_server.h: the native part of http.serve, on h2o's libuv build.
//
// h2o (Debian's libh2o, compiled with libuv) parses HTTP/1.1 and writes
// responses (keep-alive, chunked bodies both ways, Expect: 100-continue,
// 400 for malformed requests, request timeouts). It runs on the luasync
// loop's uv_loop_t; luasync accepts the connections on its own uv_tcp_t and
// hands each socket to h2o.
//
// h2o calls our handler synchronously from a libuv read callback, where Lua
// must not run. The handler only queues the request and schedules a native
// entry; that entry (in the ready queue, Lua-safe) builds the Lua request
// and calls the Lua layer's spawn function, which runs the user's handler in
// a task of its own. The response goes back through an Exchange userdata
// (respond / start + send), which h2o accepts at any later time.
//
// Lifetimes: h2o owns each request and disposes of it when the response is
// done or the connection dies; a hook allocated in the request's memory pool
// tells us (by exchange id) when that happens. The exchange userdata may
// outlive its request (the handler is still running when the client went
// away: respond() then does nothing) and vice versa (a chunk still being
// written is owned by the hook, not by the exchange).
#pragma once

#include <lua.hpp>

namespace luasync {

// Registers the server functions into the table at the top of the stack
// (the "asyncio._http" module table).
void open_http_server(lua_State* L);

// Makes the default server configuration now (a process that forks
// children which will start servers: they inherit it).
void http_server_preload();

}  // namespace luasync
