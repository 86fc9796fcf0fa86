// interrupt.h: Ctrl-C while asyncio.run runs a program, as Python's
// asyncio.Runner handles it.
//
// `luasync FILE` and `luasync -e` ask for it (Runtime::handle_sigint); the
// REPL has its own handling, and the lesson sandbox none. While the run
// lasts, SIGINT (unless it was ignored, as in a background job) is handled:
//   1st  the main task is cancelled, so that it can clean up (its <close>
//        variables close, it may catch CancelledError); if it ends
//        cancelled, asyncio.run raises KeyboardInterrupt;
//   2nd  whatever Lua code is running (a loop that never awaits) raises
//        KeyboardInterrupt at once, and the run stops waiting for the main
//        task: asyncio.run cancels what is left and raises KeyboardInterrupt;
//   3rd  the default action: the process ends at once.
// luasync prints the error and exits with status 130.
//
// The signal handler only counts, sets a Lua hook (lua_sethook may be
// called from a signal handler) and wakes the loop through a uv_async_t;
// everything else happens on the loop, between callbacks.
#pragma once

#include <lua.hpp>
#include <uv.h>

#include "loop.h"

namespace luasync {

class SigintHandler {
 public:
  // Starts handling SIGINT for the run of `loop` whose main task is at
  // main_idx, if the runtime asks for it. Does nothing otherwise.
  SigintHandler(lua_State* L, Loop* loop, int main_idx);
  ~SigintHandler();
  SigintHandler(const SigintHandler&) = delete;
  SigintHandler& operator=(const SigintHandler&) = delete;

  // How many times SIGINT has come during the run.
  int count() const;
  // True once the run should stop waiting for the main task (2nd Ctrl-C).
  bool abandoned() const;
  // Stops handling (before the loop closes); the destructor does it too.
  void stop();

 private:
  lua_State* L_ = nullptr;
  Loop* loop_ = nullptr;
  bool active_ = false;
};

}  // namespace luasync
