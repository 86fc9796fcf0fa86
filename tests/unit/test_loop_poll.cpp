// test_loop_poll.cpp: Loop::poll_io's wake-up timer while other libuv handles
// keep the loop alive (the REPL's stdin watcher and wake-up async do).
//
// libuv computes a timer's due time from its cached loop time, which is only
// refreshed by uv_run. When Lua code ran for longer than the next timer's
// delay since the last poll, a wake-up timer started from that stale time is
// already due when uv_run begins: uv_run fires it before polling, and then
// polls with no timeout at all. The loop must still wake for its timer.
#include <gtest/gtest.h>
#include <uv.h>

#include <lua.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "asyncio_lib.h"
#include "clock.h"
#include "loop.h"

namespace {

using luasync::Loop;

void on_timer(lua_State*, void* data) { *static_cast<bool*>(data) = true; }

TEST(LoopPollTest, TimerWakesThePollAfterLongLuaWorkWithHandlesAlive) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "asyncio", luaopen_asyncio, 1);
  lua_pop(L, 1);
  Loop::Options o = luasync::loop_options(L, 0);
  o.virtual_clock = false;
  Loop* loop = luasync::loop_open(L, o);

  uv_async_t keepalive;  // an active handle, like the REPL's
  uv_async_init(loop->uv(), &keepalive, nullptr);
  std::atomic<bool> stop{false};
  std::thread watchdog([&] {  // wakes a stuck poll every 0.5 s, so a failure does not hang
    for (int i = 1; !stop; i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (i % 50 == 0) uv_async_send(&keepalive);
    }
  });

  bool fired = false;
  loop->add_native_timer(loop->time() + 0.001, on_timer, &fired);
  loop->run_until([&] { return fired; });  // libuv's time is fresh now
  // "Lua code" runs 30 ms without the loop polling; then a 5 ms timer.
  double r0 = luasync::monotonic_seconds();
  while (luasync::monotonic_seconds() - r0 < 0.03) {
  }
  fired = false;
  double t0 = luasync::monotonic_seconds();
  loop->add_native_timer(loop->time() + 0.005, on_timer, &fired);
  loop->run_until([&] { return fired; });
  double took = luasync::monotonic_seconds() - t0;
  stop = true;
  watchdog.join();
  EXPECT_TRUE(fired);
  EXPECT_LT(took, 0.4);

  uv_close(reinterpret_cast<uv_handle_t*>(&keepalive), nullptr);
  luasync::loop_shutdown(L, loop);
  lua_close(L);
}

}  // namespace
