// time_lib.cpp: the `time` module: time.sleep (blocking on purpose), time.time,
// time.monotonic.
#include <uv.h>

#include <cmath>
#include <ctime>

#include "loop.h"
#include "loop_lib.h"
#include "runtime.h"
#include "trampoline.h"

namespace luasync {

// time.sleep(s): blocks the whole thread, loop included: the pitfall the
// lessons show. Under the virtual clock it moves the clock forward by s at
// once, as if the loop had been blocked that long.
static int l_sleep(lua_State* L) {
  if (lua_type(L, 1) != LUA_TNUMBER) arg_error(L, 1, "number of seconds");
  double s = lua_tonumber(L, 1);
  if (std::isnan(s) || s < 0) luaL_argerror(L, 1, "non-negative number of seconds expected");
  Runtime* rt = runtime(L);
  if (rt->loop && rt->loop->clock().is_virtual()) {
    rt->loop->clock().advance_to(rt->loop->time() + s);
    return 0;
  }
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(s);
  ts.tv_nsec = static_cast<long>((s - std::floor(s)) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
  return 0;
}

static int l_time(lua_State* L) {
  uv_timeval64_t tv;
  uv_gettimeofday(&tv);
  lua_pushnumber(L, static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6);
  return 1;
}

static int l_monotonic(lua_State* L) {
  lua_pushnumber(L, monotonic_seconds());
  return 1;
}

void open_time_lib(lua_State* L) {
  static const Reg fns[] = {
      {"sleep", fn<l_sleep>},
      {"time", fn<l_time>},
      {"monotonic", fn<l_monotonic>},
      {nullptr, nullptr},
  };
  new_lib(L, fns);
}

}  // namespace luasync
