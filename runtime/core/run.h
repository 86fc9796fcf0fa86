// run.h: asyncio.run, the loop's lifecycle, and the core's part of the
// asyncio table. The whole module (core, io, observe) is put together by
// runtime/asyncio_lib.h, above the layers.
#pragma once

#include <lua.hpp>

#include "embedded_lua.h"
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

class RunObserver;
// Runs the coroutine at coro_idx as the main task of `loop` (the running
// loop; task_opts: create_task's options for it, 0: none) until it is done,
// a second Ctrl-C gave up on it, or nothing can ever happen (a deadlock);
// with `shutdown` the loop is then shut down (asyncio.run; a Runner keeps
// it); `watcher` (may be null) is told the run finished. Pushes the main
// task's results and returns how many, or raises its error, the deadlock,
// or KeyboardInterrupt. asyncio.run and Runner:run share it.
int run_main_task(lua_State* L, Loop* loop, int coro_idx, int task_opts, bool shutdown, RunObserver* watcher);

// Pushes the asyncio table with the core's functions, creating the runtime
// first. Returns false (and pushes the table) if the state has it already.
bool open_core(lua_State* L);

// Runs each chunk of an embedded Lua layer (in order) with the asyncio table
// at the top of the stack as its argument.
void load_embedded_layer(lua_State* L, const EmbeddedChunk* chunks);

// The core's Lua layer (runtime/core/lua: errors.lua first), embedded.
const EmbeddedChunk* embedded_core_chunks();

}  // namespace luasync
