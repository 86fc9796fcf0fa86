// executor.h: asyncio.to_thread, loop:run_in_executor and
// asyncio.ThreadPoolExecutor: Lua functions run on worker threads.
//
// A worker thread has a Lua state of its own (Runtime::workers says how it
// is made: the standard libraries and `time` by default, the sandbox's
// libraries and budgets in lessons). A call sends the function as bytecode
// (string.dump: it must be self-contained, see check_function in
// executor.cpp) and its arguments copied (marshal.h); the worker runs it
// and sends the results (or the error) back the same way. The loop's side
// is a future: the worker posts the finished call to the loop's mailbox
// (a uv_async handle), and the loop resolves the future from its ready
// queue. Cancelling the future (the awaiting task was cancelled) does not
// stop a call that has started: it runs to its end and its result is
// dropped, as in Python; a call still queued does not start.
//
// While calls are in flight the virtual clock waits for them (a thread
// computing is progress being made), as it waits for a subprocess.
#pragma once

#include <lua.hpp>

namespace luasync {

// require("asyncio._executor"): {ThreadPoolExecutor = fn, to_thread_submit
// = fn}, and loop:run_in_executor / loop:set_default_executor.
int luaopen_executor(lua_State* L);

// Stops every call of L's executors: running ones are interrupted (their
// results are the error "interrupted"), queued ones fail; the executors take
// calls again afterwards. The lesson sandbox calls it after each run, so
// that nothing an exercise started runs on into the next one.
void stop_worker_calls(lua_State* L);

}  // namespace luasync
