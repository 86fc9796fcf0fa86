// interpreter.cpp: state set-up and the script runner.
#include "interpreter.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "asyncio_lib.h"
#include "coro.h"
#include "loop_lib.h"
#include "pool_alloc.h"
#include "recorder.h"
#include "runtime.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

const char* libuv_version() { return uv_version_string(); }

lua_State* new_state(const RunOptions& opts) {
  lua_State* L = pool_newstate();  // pool_alloc.h
  if (L) install_panic_handler(L);  // trampoline.h
  if (!L) return nullptr;
  lua_gc(L, LUA_GCGEN, 0, 0);  // as lua.c: suits many short-lived objects
  luaL_openlibs(L);
  open_luasync_globals(L);
  Runtime* rt = runtime(L);
  rt->default_debug = opts.debug;
  rt->default_virtual = opts.virtual_time;
  return L;
}

void close_state(lua_State* L) {
  coro_flush_recent(L);  // so unawaited coroutines still warn
  pool_close(L);
}

void report_error(lua_State* L, int err_idx) {
  std::fflush(stdout);
  std::string text = traceback_of_last_error(L, err_idx);
  std::fprintf(stderr, "luasync: %s\n", text.c_str());
  std::fflush(stderr);
}

bool call_chunk(lua_State* L, int nargs, int nresults, bool* interrupted) {
  int base = lua_gettop(L) - nargs;
  push_traceback_handler(L);
  lua_insert(L, base);
  int status = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (status != LUA_OK) {
    if (interrupted) *interrupted = is_error(L, -1, ErrorClass::KeyboardInterrupt);
    report_error(L, -1);
    lua_pop(L, 1);
    return false;
  }
  return true;
}

// The global `arg`, as lua.c makes it: arg[0] the script, arg[1..] its
// arguments, negative indices the interpreter and options.
static void create_arg_table(lua_State* L, const RunOptions& opts) {
  int n = static_cast<int>(opts.argv.size());
  lua_createtable(L, n - opts.first_arg, opts.first_arg);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, opts.argv[i]);
    lua_rawseti(L, -2, i - opts.script_index);
  }
  lua_setglobal(L, "arg");
}

// The allocation-failure test (tests/cli/alloc_fail.sh, issue 11): with
// LUASYNC_TEST_FAIL_ALLOC=N in the environment, the Nth allocation the script
// makes (counted from when it starts) fails as if memory ran out, and so does
// the next one (Lua retries a failed allocation once after an emergency
// collection: that retry fails too, so the error is raised), then all succeed;
// with LUASYNC_TEST_FAIL_ALLOC=count, the number it made is printed on
// stderr at the end. Nothing changes without the variable (the allocator is
// swapped only then), and the failing allocator hands on to the state's
// pool_alloc.
namespace {

struct FailAlloc {
  unsigned long long made = 0;
  unsigned long long fail_at = 0;  // 0: only count
};
FailAlloc g_fail_alloc;

// Hands every call on to pool_alloc (ud is the state's pool).
void* failing_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  if (nsize == 0) return pool_alloc(ud, ptr, osize, nsize);
  // A new block (ptr is null; osize is then a type tag) or a growing one can
  // fail; Lua relies on shrinking never failing.
  if (ptr == nullptr || nsize > osize) {
    unsigned long long n = ++g_fail_alloc.made;
    if (g_fail_alloc.fail_at && (n == g_fail_alloc.fail_at || n == g_fail_alloc.fail_at + 1)) return nullptr;
  }
  return pool_alloc(ud, ptr, osize, nsize);
}

// Installs the failing allocator if the environment asks for it.
bool arm_fail_alloc(lua_State* L) {
  const char* v = std::getenv("LUASYNC_TEST_FAIL_ALLOC");
  if (!v || !*v) return false;
  g_fail_alloc.fail_at = std::strcmp(v, "count") == 0 ? 0 : std::strtoull(v, nullptr, 10);
  void* pool = nullptr;
  lua_getallocf(L, &pool);
  lua_setallocf(L, failing_alloc, pool);
  return true;
}

}  // namespace

int run_program(const RunOptions& opts) {
  lua_State* L = new_state(opts);
  if (!L) {
    std::fprintf(stderr, "luasync: cannot create the Lua state (out of memory)\n");
    return 1;
  }
  create_arg_table(L, opts);
  if (opts.timeline || opts.trace_path) {
    RecordOptions ro;
    ro.timeline = opts.timeline;
    parse_timeline_format(opts.timeline_format, &ro.format);
    if (opts.timeline_path) ro.timeline_path = opts.timeline_path;
    ro.program = opts.has_script ? opts.script : "luasync -e";
    if (opts.trace_path) ro.trace_path = opts.trace_path;
    ro.width = opts.width;
    std::string err;
    if (!record_session_start(L, ro, &err)) {
      std::fprintf(stderr, "luasync: %s\n", err.c_str());
      pool_close(L);
      return 2;
    }
  }
  int status;
  if (opts.has_code) {
    status = luaL_loadbufferx(L, opts.code, std::strlen(opts.code), "=(command line)", "t");
  } else {
    const char* file = std::strcmp(opts.script, "-") == 0 ? nullptr : opts.script;
    if (file) {
      FILE* f = std::fopen(file, "r");
      if (!f) {
        std::fprintf(stderr, "luasync: cannot open %s: %s\n", file, std::strerror(errno));
        pool_close(L);
        return 2;
      }
      std::fclose(f);
    }
    status = luaL_loadfilex(L, file, "t");
  }
  int rc = 0;
  if (status != LUA_OK) {
    // A syntax error: the message already reads "file:line: ...".
    std::fprintf(stderr, "luasync: %s\n", lua_tostring(L, -1));
    rc = 1;
  } else {
    int nargs = 0;
    for (size_t i = opts.first_arg; i < opts.argv.size(); i++, nargs++) lua_pushstring(L, opts.argv[i]);
    runtime(L)->handle_sigint = true;  // Ctrl-C cancels asyncio.run's main task (runtime/core/interrupt.h)
    bool counting = arm_fail_alloc(L);
    bool interrupted = false;
    if (!call_chunk(L, nargs, 0, &interrupted)) rc = interrupted ? 130 : 1;  // 128 + SIGINT, as shells say
    if (counting && g_fail_alloc.fail_at == 0)
      std::fprintf(stderr, "luasync: %llu allocations\n", g_fail_alloc.made);
  }
  std::fflush(stdout);
  if (!record_session_finish(L) && rc == 0) rc = 1;  // --timeline / --trace output
  close_state(L);
  return rc;
}

}  // namespace luasync
