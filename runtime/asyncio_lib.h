// asyncio_lib.h: the asyncio module.
#pragma once

#include <lua.hpp>

#include "loop.h"

namespace luasync {

// Loop lifecycle, as asyncio.run uses it (the REPL keeps one loop open).
// loop_options reads an options table at idx (0: none): debug, clock,
// slow_callback_duration, autojump_grace.
Loop::Options loop_options(lua_State* L, int idx);
// The options asyncio.run accepts (for check_options, options.h).
extern const char* const kRunOptions[];
// Creates a loop, pushes its userdata, and makes it the running loop.
Loop* loop_open(lua_State* L, const Loop::Options& o);
// Cancels what is left and lets it finish, reports unretrieved exceptions and
// unawaited coroutines, closes the loop. Idempotent.
void loop_shutdown(lua_State* L, Loop* loop);

class RunRecording;
// Runs the coroutine at coro_idx as the main task of `loop` (the running
// loop; task_opts: create_task's options for it, 0: none) until it is done,
// a second Ctrl-C gave up on it, or nothing can ever happen (a deadlock);
// with `shutdown` the loop is then shut down (asyncio.run; a Runner keeps
// it). Pushes the main task's results and returns how many, or raises its
// error, the deadlock, or KeyboardInterrupt. asyncio.run and Runner:run
// share it.
int run_main_task(lua_State* L, Loop* loop, int coro_idx, int task_opts, bool shutdown, RunRecording* recording);

// Pushes the asyncio table, creating the runtime on first use (idempotent).
int open_asyncio(lua_State* L);

// What luasync gives every program, on a state with the standard libraries:
// require("asyncio") done, and the globals asyncio, async, await and time
// (time also as package.loaded.time). Leaves the stack as it was.
void open_luasync_globals(lua_State* L);

}  // namespace luasync

extern "C" int luaopen_asyncio(lua_State* L);
