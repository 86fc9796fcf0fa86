// runner.cpp: asyncio.Runner, Python 3.11's asyncio.Runner.
//
//   local runner <close> = asyncio.Runner({clock = "virtual"})
//   runner:run(setup())     -- each run() runs one coroutine to its end...
//   runner:run(serve())     -- ...on the same loop, in the same context
//
// The loop is made by the first run() (Python's lazy init) and kept between
// runs: tasks a run leaves pending stay pending (they go on in the next run),
// and what the main tasks set in context variables carries over, since every
// run's main task runs in the runner's own Context (a copy of the context
// the first run found). Between runs the loop exists but is not running.
// close() (also <close>) cancels what is left and closes the loop, as the
// end of asyncio.run does. A runner is used from one Lua thread: the loop's
// callbacks run on the thread that made it.
#include "runner.h"

#include <new>

#include "coro.h"
#include "future.h"
#include "loop.h"
#include "options.h"
#include "run.h"
#include "runtime.h"
#include "task.h"
#include "trampoline.h"

namespace luasync {

namespace {

constexpr const char* kRunnerMT = "asyncio.Runner";
constexpr const char* kRunnerLeaveMT = "asyncio.Runner.leave";
const char* const kRunnerOptions[] = {"debug", "clock", "slow_callback_duration", "autojump_grace", nullptr};

// User values: the loop userdata, the runner's Context.
enum : int { RUV_LOOP = 1, RUV_CONTEXT = 2, RUNNER_NUV = 2 };

struct Runner {
  Loop::Options opts;
  Loop* loop = nullptr;  // made by the first run()
  bool closed = false;
  bool running = false;
};

Runner* check_runner(lua_State* L) {
  auto* r = static_cast<Runner*>(luaL_checkudata(L, 1, kRunnerMT));
  if (r->loop) {
    // Its loop was finalized (its __gc called by hand, or collected first
    // at the state's close): the runner cannot use it any more.
    lua_getiuservalue(L, 1, RUV_LOOP);
    if (!luaL_testudata(L, -1, kLoopMT)) {
      r->loop = nullptr;
      r->closed = true;
    }
    lua_pop(L, 1);
  }
  return r;
}

// The to-be-closed value of a run: whatever way run() ends, its loop stops
// being the running one.
int leave_close(lua_State* L) {
  auto* r = *static_cast<Runner**>(lua_touserdata(L, 1));
  Runtime* rt = runtime(L);
  if (r->loop && rt->loop == r->loop) rt->loop = nullptr;
  r->running = false;
  return 0;
}

// Makes the loop (and the context) on first use; the loop is left running.
Loop* enter(lua_State* L, Runner* r, const char* fname) {
  Runtime* rt = runtime(L);
  if (r->closed) luaL_error(L, "%s: the Runner is closed", fname);
  if (rt->loop) luaL_error(L, "%s: cannot be called from a running event loop", fname);
  if (!r->loop) {
    r->loop = loop_open(L, r->opts);  // pushes the loop userdata, makes it running
    lua_setiuservalue(L, 1, RUV_LOOP);
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->asyncio_ref);
    lua_getfield(L, -1, "copy_context");
    lua_call(L, 0, 1);
    lua_setiuservalue(L, 1, RUV_CONTEXT);
    lua_pop(L, 1);
    return r->loop;
  }
  if (r->loop->thread() != L)
    luaL_error(L, "%s: a Runner is used from the Lua thread that first ran it (its loop's callbacks run there)",
               fname);
  rt->loop = r->loop;
  return r->loop;
}

// asyncio.Runner([{debug =, clock =, slow_callback_duration =, autojump_grace =}])
int runner_new(lua_State* L) {
  int opts = check_options(L, 1, "Runner", kRunnerOptions, 1) ? 1 : 0;
  Loop::Options o = loop_options(L, opts);
  auto* r = new (lua_newuserdatauv(L, sizeof(Runner), RUNNER_NUV)) Runner();
  r->opts = o;
  luaL_setmetatable(L, kRunnerMT);
  return 1;
}

// runner:run(coro [, {context = ctx}]) -> the coroutine's results
int l_run(lua_State* L) {
  Runner* r = check_runner(L);
  if (!to_coro(L, 2)) {
    if (lua_type(L, 2) == LUA_TFUNCTION)
      luaL_argerror(L, 2, "coroutine object expected, got function (call the async function: runner:run(main()))");
    arg_error(L, 2, "coroutine object");
  }
  static const char* const accepted[] = {"context", nullptr};
  bool has_opts = check_options(L, 3, "run", accepted, 2);
  lua_settop(L, 3);
  Loop* loop = enter(L, r, "Runner.run");
  // From here the loop is running: a to-be-closed value undoes that.
  auto** leave = static_cast<Runner**>(lua_newuserdatauv(L, sizeof(Runner*), 0));  // 4
  *leave = r;
  luaL_setmetatable(L, kRunnerLeaveMT);
  lua_toclose(L, 4);
  r->running = true;
  // The main task's options: {context = the one given, or the runner's}.
  lua_createtable(L, 0, 1);  // 5
  if (has_opts) lua_getfield(L, 3, "context");
  if (!has_opts || lua_isnil(L, -1)) {
    if (has_opts) lua_pop(L, 1);
    lua_getiuservalue(L, 1, RUV_CONTEXT);
  }
  lua_setfield(L, 5, "context");
  return run_main_task(L, loop, 2, 5, false, nullptr);
}

// runner:close(): cancels the tasks left, closes the loop (idempotent).
int l_close(lua_State* L) {
  Runner* r = check_runner(L);
  if (r->closed) return 0;
  if (r->running) luaL_error(L, "Runner.close: the Runner is running");
  Runtime* rt = runtime(L);
  if (r->loop && !r->loop->closed()) {
    if (rt->loop) luaL_error(L, "Runner.close: cannot be called from a running event loop");
    rt->loop = r->loop;
    auto** leave = static_cast<Runner**>(lua_newuserdatauv(L, sizeof(Runner*), 0));
    *leave = r;
    luaL_setmetatable(L, kRunnerLeaveMT);
    lua_toclose(L, lua_gettop(L));
    r->running = true;
    loop_shutdown(L, r->loop);
  }
  r->closed = true;
  return 0;
}

// runner:get_loop() -> the runner's loop (made now if no run() made it yet;
// not running between runs).
int l_get_loop(lua_State* L) {
  Runner* r = check_runner(L);
  if (r->closed) luaL_error(L, "Runner.get_loop: the Runner is closed");
  if (!r->loop) {
    enter(L, r, "Runner.get_loop");
    runtime(L)->loop = nullptr;
  }
  lua_getiuservalue(L, 1, RUV_LOOP);
  return 1;
}

// A runner nobody closed: closed when collected, if no loop is running then
// (else its loop's own finalizer releases what it holds).
int l_gc(lua_State* L) {
  Runner* r = check_runner(L);
  if (r->closed || !r->loop || r->loop->closed() || runtime(L)->loop) return 0;
  runtime(L)->loop = r->loop;
  loop_shutdown(L, r->loop);
  runtime(L)->loop = nullptr;
  r->closed = true;
  return 0;
}

int l_tostring(lua_State* L) {
  Runner* r = check_runner(L);
  lua_pushfstring(L, "<Runner %s>", r->closed ? "closed" : r->running ? "running" : r->loop ? "idle" : "new");
  return 1;
}

}  // namespace

int l_runner_new(lua_State* L) {
  if (luaL_newmetatable(L, kRunnerMT)) {
    static const Reg methods[] = {
        {"run", fn<l_run>}, {"close", fn<l_close>}, {"get_loop", fn<l_get_loop>}, {nullptr, nullptr}};
    new_lib(L, methods);
    lua_setfield(L, -2, "__index");
    push_fn<l_close>(L);
    lua_setfield(L, -2, "__close");
    push_fn<l_gc>(L);
    lua_setfield(L, -2, "__gc");
    push_fn<l_tostring>(L);
    lua_setfield(L, -2, "__tostring");
    luaL_newmetatable(L, kRunnerLeaveMT);
    push_fn<leave_close>(L);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return runner_new(L);
}

}  // namespace luasync
