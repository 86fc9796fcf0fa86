// http_client.h: the native part of the HTTP client (libcurl's multi
// interface driven by the luasync loop). runtime/io/lua/modules/http.lua builds
// the public API (ClientSession, Response, errors) on these primitives.
//
// How curl is driven: each session owns one CURLM (its connection cache, so
// connections are reused across requests of the session). curl's socket
// callback maps each socket onto a uv_poll_t; its timer callback onto a
// uv_timer_t. curl's internal deadlines are real time, so that timer is a
// libuv timer, never the loop's (virtual) clock; request timeouts are
// luasync's own and use the loop's clock (add_native_timer), so under the
// virtual clock a timeout fires at exactly the virtual instant.
//
// The rule every callback follows: libuv and curl callbacks never call Lua.
// They record what happened in the C++ objects and schedule a native entry
// (Loop::schedule_native) that resolves the waiting future later, from the
// loop's ready queue. Entries carry an object id, not a pointer, so an entry
// that outlives its object finds nothing and does nothing.
//
// The virtual clock: while a session has transfers in flight it holds the
// clock (Loop::hold_clock), so that time does not jump while real I/O is
// under way. It lets go once its sockets have been quiet for the loop's
// autojump grace (real time) and no transfer is still connecting: a server in
// the same process that sleeps on the loop clock then gets its time jump.
#pragma once

#include <lua.hpp>

namespace luasync {

// Registers the client functions into the table at the top of the stack
// (the "asyncio._http" module table).
void open_http_client(lua_State* L);

}  // namespace luasync
