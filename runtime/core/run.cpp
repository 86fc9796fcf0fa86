// run.cpp: asyncio.run, the loop's lifecycle, and the core's part of the
// asyncio table (see run.h).
#include "run.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "coro.h"
#include "embedded_lua.h"
#include "future.h"
#include "interrupt.h"
#include "loop.h"
#include "loop_lib.h"
#include "observer.h"
#include "options.h"
#include "runner.h"
#include "scope.h"
#include "swallow.h"
#include "task.h"
#include "task_stack.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

// ---------------------------------------------------------------- introspection

static Loop* running_loop(lua_State* L, const char* fname) {
  Loop* loop = runtime(L)->loop;
  if (!loop) luaL_error(L, "%s: no running event loop (call it inside asyncio.run)", fname);
  return loop;
}

static int l_get_running_loop(lua_State* L) {
  Loop* loop = running_loop(L, "get_running_loop");
  lua_rawgetp(L, LUA_REGISTRYINDEX, loop);
  return 1;
}

static int l_current_task(lua_State* L) {
  Loop* loop = running_loop(L, "current_task");
  Task* t = loop->current_task();
  if (!t) return 0;  // inside a callback
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  return 1;
}

static int l_all_tasks(lua_State* L) {
  Loop* loop = running_loop(L, "all_tasks");
  lua_createtable(L, 0, static_cast<int>(loop->task_count()));
  for (Task* t = loop->first_task(); t; t = t->next) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
  return 1;
}

// ---------------------------------------------------------------- run

static bool opt_bool(lua_State* L, int opts, const char* key, bool dflt) {
  if (!opts) return dflt;
  int t = lua_getfield(L, opts, key);
  bool v = dflt;
  if (t == LUA_TBOOLEAN)
    v = lua_toboolean(L, -1);
  else if (t != LUA_TNIL)
    luaL_error(L, "bad option '%s' to 'run' (boolean expected, got %s)", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

static double opt_number(lua_State* L, int opts, const char* key, double dflt) {
  if (!opts) return dflt;
  int t = lua_getfield(L, opts, key);
  double v = dflt;
  if (t == LUA_TNUMBER)
    v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL)
    luaL_error(L, "bad option '%s' to 'run' (number expected, got %s)", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  if (v < 0) luaL_error(L, "bad option '%s' to 'run' (non-negative number expected)", key);
  return v;
}

// Clears the running loop when asyncio.run ends, by return or by error (a
// to-be-closed value: push_scoped, scope.h).
struct RunningLoopGuard {
  Runtime* rt;
  Loop* loop;
  lua_State* L;
  RunningLoopGuard(Runtime* r, Loop* l, lua_State* s) : rt(r), loop(l), L(s) {}
  ~RunningLoopGuard() {
    if (!loop->closed()) loop->close(L);
    if (rt->loop == loop) rt->loop = nullptr;
  }
};

// Describes what the main task waits on, for the deadlock error.
// Where a suspended task waits: its innermost Lua frame.
static std::string suspended_at(Task* t) {
  if (!t->co) return "";
  std::string frames = stack_frames(t->co, 0, t);
  auto nl = frames.find('\n');
  if (nl != std::string::npos) frames.resize(nl);
  while (!frames.empty() && frames[0] == '\t') frames.erase(0, 1);
  return frames.empty() ? "" : " (suspended at " + frames + ")";
}

static std::string deadlock_message(lua_State* L, int main_idx) {
  std::string msg = "deadlock: " + describe_value(L, main_idx) + suspended_at(to_task(L, main_idx)) +
                    " is waiting, and nothing can ever wake it (no ready callbacks, no timers, "
                    "no I/O, no other running tasks).";
  Loop* loop = runtime(L)->loop;
  int shown = 0;
  for (Task* t = loop->first_task(); t && shown < 10; t = t->next) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
    if (!lua_rawequal(L, -1, main_idx)) {
      msg += "\n  also waiting: " + describe_value(L, -1) + suspended_at(t);
      shown++;
    }
    lua_pop(L, 1);
  }
  return msg;
}

// Python's runners._cancel_all_tasks: cancel what is left and let it finish.
static void cancel_all_tasks(lua_State* L, Loop* loop) {
  if (loop->task_count() == 0) return;
  int top = lua_gettop(L);
  lua_createtable(L, static_cast<int>(loop->task_count()), 0);  // keeps them alive
  int list = top + 1;
  lua_Integer n = 0;
  for (Task* t = loop->first_task(); t; t = t->next) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
    lua_rawseti(L, list, ++n);
  }
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    task_cancel(L, -1, 0);
    lua_pop(L, 1);
  }
  loop->run_until([&] { return loop->task_count() == 0; });
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    Task* t = to_task(L, -1);
    if (t->state == Future::Finished && t->has_exception && t->log_traceback) {
      std::string frames;
      if (lua_getiuservalue(L, -1, UV_EXTRA) == LUA_TTABLE) {
        lua_getfield(L, -1, "traceback");
        if (lua_type(L, -1) == LUA_TSTRING) frames = lua_tostring(L, -1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      std::string what = describe_value(L, -1);
      lua_getiuservalue(L, -1, UV_RESULT);
      report(L, "shutdown_error",
             "unhandled exception during asyncio.run() shutdown\ntask: " + what + "\n" + format_traceback(L, -1, frames),
             -2);
      lua_pop(L, 1);
      future_mark_retrieved(L, t);
    }
    lua_pop(L, 1);
  }
  lua_settop(L, top);
}

Loop::Options loop_options(lua_State* L, int opts) {
  Runtime* rt = runtime(L);
  if (opts) opts = lua_absindex(L, opts);
  Loop::Options o;
  o.debug = opt_bool(L, opts, "debug", rt->default_debug);
  o.virtual_clock = rt->default_virtual;
  if (opts) {
    int t = lua_getfield(L, opts, "clock");
    if (t == LUA_TSTRING) {
      const char* c = lua_tostring(L, -1);
      if (std::strcmp(c, "virtual") == 0)
        o.virtual_clock = true;
      else if (std::strcmp(c, "real") == 0)
        o.virtual_clock = false;
      else
        luaL_error(L, "bad option 'clock' to 'run' (\"real\" or \"virtual\" expected, got \"%s\")", c);
    } else if (t != LUA_TNIL) {
      luaL_error(L, "bad option 'clock' to 'run' (string expected, got %s)", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
  o.slow_callback_duration = opt_number(L, opts, "slow_callback_duration", o.slow_callback_duration);
  o.autojump_grace = opt_number(L, opts, "autojump_grace", o.autojump_grace);
  return o;
}

Loop* loop_open(lua_State* L, const Loop::Options& o) {
  Runtime* rt = runtime(L);
  if (rt->loop) luaL_error(L, "asyncio.run() cannot be called from a running event loop");
  auto* loop = new (lua_newuserdatauv(L, sizeof(Loop), 0)) Loop(L, o);
  luaL_setmetatable(L, kLoopMT);  // its __gc owns it from here
  loop->init_values(L);           // may raise (out of memory)
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, loop);  // for get_running_loop / get_loop
  rt->loop = loop;
  coro_flush_recent(L);
  return loop;
}

void loop_shutdown(lua_State* L, Loop* loop) {
  Runtime* rt = runtime(L);
  if (loop->closed()) return;
  cancel_all_tasks(L, loop);
  report_unretrieved(L, loop->id());
  coro_flush_recent(L);
  if (rt->unawaited > 0) lua_gc(L, LUA_GCCOLLECT);  // report "never awaited" now
  loop->close(L);
  if (rt->loop == loop) rt->loop = nullptr;
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, loop);
}

const char* const kRunOptions[] = {"debug",          "clock", "slow_callback_duration", "autojump_grace",
                                   "timeline",       "timeline_width", "trace", nullptr};

int run_main_task(lua_State* L, Loop* loop, int coro_idx, int task_opts, bool shutdown, RunObserver* watcher) {
  coro_idx = lua_absindex(L, coro_idx);
  if (task_opts) task_opts = lua_absindex(L, task_opts);
  Task* main = push_new_task(L, coro_idx, task_opts);
  int main_idx = lua_gettop(L);
  SigintHandler& sigint = *push_scoped<SigintHandler>(L, L, loop, main_idx);  // Ctrl-C (interrupt.h)
  bool finished = loop->run_until([&] { return main->done() || sigint.abandoned(); });
  int deadlock = 0;  // the deadlock's message, on the stack (no C++ string across a raise)
  if (!finished) {
    {
      std::string msg = deadlock_message(L, main_idx);
      lua_pushlstring(L, msg.data(), msg.size());
    }
    deadlock = lua_gettop(L);
  }
  future_mark_retrieved(L, main);  // run() itself returns or raises it
  if (shutdown) loop_shutdown(L, loop);
  // Interrupted: Ctrl-C twice, or once and the main task ended cancelled
  // (it may also have caught the cancellation and finished: then run()
  // returns as usual, as in Python).
  bool interrupted = sigint.count() > 0 && (sigint.abandoned() || main->state == Future::Cancelled);
  sigint.stop();
  if (watcher) watcher->finish(L);

  if (deadlock) {
    lua_pushvalue(L, deadlock);
    lua_error(L);
  }
  if (interrupted) {
    push_error(L, ErrorClass::KeyboardInterrupt);
    lua_error(L);
  }
  // The results, or the main task's error with its traceback noted for the
  // caller's message handler (so the await chain is printed whole).
  Future* f = main;
  if (f->state == Future::Cancelled || f->has_exception) {
    std::string frames;
    if (lua_getiuservalue(L, main_idx, UV_EXTRA) == LUA_TTABLE) {
      lua_getfield(L, -1, "traceback");
      if (lua_type(L, -1) == LUA_TSTRING) frames = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getiuservalue(L, main_idx, UV_RESULT);
    if (!frames.empty()) note_rethrow(L, -1, frames, "the main task");
    lua_pop(L, 1);
  }
  return future_push_result(L, main_idx);
}

static int l_run(lua_State* L) {
  Runtime* rt = runtime(L);
  if (!to_coro(L, 1)) {
    if (lua_type(L, 1) == LUA_TFUNCTION)
      luaL_argerror(L, 1, "coroutine object expected, got function (call the async function: asyncio.run(main()))");
    arg_error(L, 1, "coroutine object");
  }
  int opts = check_options(L, 2, "run", kRunOptions, 2) ? 2 : 0;
  if (rt->loop) luaL_error(L, "asyncio.run() cannot be called from a running event loop");
  Loop::Options o = loop_options(L, opts);
  lua_settop(L, 2);
  // The layer above may watch the run (timeline / trace options: observe/);
  // its watcher is a userdata at 3, so that an error cannot leak it.
  RunObserver* watcher = rt->push_run_observer ? rt->push_run_observer(L) : nullptr;
  if (!watcher) lua_pushnil(L);
  if (watcher) watcher->configure(L, opts);
  Loop* loop = loop_open(L, o);  // 4
  push_scoped<RunningLoopGuard>(L, rt, loop, L);  // 5
  if (watcher) watcher->start(loop);
  return run_main_task(L, loop, 1, 0, true, watcher);
}

// asyncio._warn(kind, text): a runtime warning from the Lua layer (see
// report() in runtime.h), e.g. "timeout_not_closed".
static int l_warn(lua_State* L) {
  const char* kind = luaL_checkstring(L, 1);
  size_t len = 0;
  const char* text = luaL_checklstring(L, 2, &len);
  report(L, kind, std::string(text, len), 0);
  return 0;
}

// ---------------------------------------------------------------- module

static int l_runtime_gc(lua_State* L) {
  Runtime** slot = static_cast<Runtime**>(lua_touserdata(L, 1));
  Runtime* rt = *slot;
  *static_cast<Runtime**>(lua_getextraspace(L)) = nullptr;
  delete rt;
  *slot = nullptr;
  return 0;
}

static char kRuntimeKey;

bool open_core(lua_State* L) {
  // The extra space of a new state is uninitialized: the registry says
  // whether this state already has a runtime.
  Runtime** extra = static_cast<Runtime**>(lua_getextraspace(L));
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kRuntimeKey) == LUA_TUSERDATA) {
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, (*extra)->asyncio_ref);
    return false;
  }
  lua_pop(L, 1);
  // The runtime lives until the state closes (a userdata with __gc owns it).
  auto** slot = static_cast<Runtime**>(lua_newuserdatauv(L, sizeof(Runtime*), 0));
  *slot = new Runtime();
  lua_newtable(L);
  push_fn<l_runtime_gc>(L);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kRuntimeKey);
  Runtime* rt = *slot;
  *extra = rt;
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  rt->main = lua_tothread(L, -1);
  lua_pop(L, 1);

  lua_newtable(L);  // asyncio
  lua_pushvalue(L, -1);
  rt->asyncio_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  open_future(L);
  open_task(L);
  open_coro(L);
  open_loop_lib(L);
  open_task_stack(L);  // task:get_stack / print_stack
  static const Reg fns[] = {
      {"run", fn<l_run>},
      {"get_running_loop", fn<l_get_running_loop>},
      {"current_task", fn<l_current_task>},
      {"pcall", fn<swallow_pcall>},
      {"xpcall", fn<swallow_xpcall>},
      {"all_tasks", fn<l_all_tasks>},
      {"_check_options", fn<l_check_options>},
      {"_context", fn<l_context>},
      {"_warn", fn<l_warn>},
      {"Runner", fn<l_runner_new>},
      {nullptr, nullptr},
  };
  set_funcs(L, fns, 0);
  lua_pushliteral(L, LUASYNC_VERSION);
  lua_setfield(L, -2, "VERSION");
  open_time_lib(L);  // also the global `time` in luasync
  lua_setfield(L, -2, "time");
  return true;
}

void load_embedded_layer(lua_State* L, const EmbeddedChunk* chunks) {
  int asyncio_idx = lua_gettop(L);
  for (const EmbeddedChunk* c = chunks; c->name; c++) {
    if (luaL_loadbufferx(L, c->code, c->size, c->name, "b") != LUA_OK) lua_error(L);
    lua_pushvalue(L, asyncio_idx);
    lua_call(L, 1, 0);
  }
}

}  // namespace luasync
