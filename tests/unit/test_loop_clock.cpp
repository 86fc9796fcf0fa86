// test_loop_clock.cpp: Loop::set_clock_virtual (the REPL's :clock).
//
// The contract (loop.h): loop time is continuous across a switch, each
// pending timer keeps the delay it had left, timers keep their order, and
// switching to the kind the clock already is changes nothing.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <vector>

#include "asyncio_lib.h"
#include "clock.h"
#include "loop.h"

namespace {

using luasync::Loop;

struct ClockSwitchTest : ::testing::Test {
  lua_State* L = nullptr;
  Loop* loop = nullptr;

  void open(bool virtual_clock) {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "asyncio", luaopen_asyncio, 1);
    lua_pop(L, 1);
    Loop::Options o = luasync::loop_options(L, 0);
    o.virtual_clock = virtual_clock;
    loop = luasync::loop_open(L, o);  // its userdata stays on the stack
  }
  void TearDown() override {
    if (loop) luasync::loop_shutdown(L, loop);
    if (L) lua_close(L);
  }
};

struct Fired {
  std::vector<int> order;
  std::vector<double> at;  // loop time when each fired
  Loop* loop = nullptr;
};

struct TimerArg {
  Fired* fired;
  int id;
};

void on_timer(lua_State*, void* data) {
  auto* a = static_cast<TimerArg*>(data);
  a->fired->order.push_back(a->id);
  a->fired->at.push_back(a->fired->loop->time());
}

TEST_F(ClockSwitchTest, SameKindIsANoop) {
  open(true);
  loop->clock().advance_to(5.0);
  EXPECT_FALSE(loop->set_clock_virtual(true));
  EXPECT_TRUE(loop->clock().is_virtual());
  EXPECT_DOUBLE_EQ(loop->time(), 5.0);
}

TEST_F(ClockSwitchTest, VirtualToRealIsContinuous) {
  open(true);
  loop->clock().advance_to(1234.5);
  EXPECT_TRUE(loop->set_clock_virtual(false));
  EXPECT_FALSE(loop->clock().is_virtual());
  EXPECT_FALSE(loop->options().virtual_clock);
  double t = loop->time();
  EXPECT_GE(t, 1234.5);
  EXPECT_LT(t, 1234.5 + 0.05);
  // It now moves by itself, with real time.
  double r0 = luasync::monotonic_seconds();
  while (luasync::monotonic_seconds() - r0 < 0.01) {
  }
  EXPECT_GE(loop->time() - t, 0.01);
  // advance_to is meaningless on the real clock.
  loop->clock().advance_to(1e9);
  EXPECT_LT(loop->time(), 1e8);
}

TEST_F(ClockSwitchTest, RealToVirtualIsContinuousAndFrozen) {
  open(false);
  double before = loop->time();
  EXPECT_TRUE(loop->set_clock_virtual(true));
  EXPECT_TRUE(loop->clock().is_virtual());
  EXPECT_TRUE(loop->options().virtual_clock);
  double t = loop->time();
  EXPECT_GE(t, before);
  EXPECT_LT(t - before, 0.05);
  double r0 = luasync::monotonic_seconds();
  while (luasync::monotonic_seconds() - r0 < 0.005) {
  }
  EXPECT_EQ(loop->time(), t);  // virtual time does not move by itself
}

// A timer armed under the real clock, 1 hour away, fires at once after the
// switch to virtual time, exactly at its deadline.
TEST_F(ClockSwitchTest, PendingTimerKeepsItsDelayRealToVirtual) {
  open(false);
  Fired f;
  f.loop = loop;
  double t0 = loop->time();
  TimerArg a{&f, 1}, b{&f, 2};
  loop->add_native_timer(t0 + 3600.0, on_timer, &a);
  loop->add_native_timer(t0 + 7200.0, on_timer, &b);
  ASSERT_TRUE(loop->set_clock_virtual(true));
  double r0 = luasync::monotonic_seconds();
  loop->run_until([&] { return f.order.size() == 2; });
  EXPECT_LT(luasync::monotonic_seconds() - r0, 1.0);
  ASSERT_EQ(f.order, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(f.at[0], t0 + 3600.0);
  EXPECT_DOUBLE_EQ(f.at[1], t0 + 7200.0);
}

// A timer armed under the virtual clock 0.05 s ahead fires after 0.05 real
// seconds once the loop runs on the real clock, not before and not at once.
TEST_F(ClockSwitchTest, PendingTimerKeepsItsDelayVirtualToReal) {
  open(true);
  loop->clock().advance_to(100.0);
  Fired f;
  f.loop = loop;
  TimerArg a{&f, 1}, b{&f, 2};
  loop->add_native_timer(100.05, on_timer, &a);
  loop->add_native_timer(100.05, on_timer, &b);  // same instant: FIFO
  ASSERT_TRUE(loop->set_clock_virtual(false));
  double r0 = luasync::monotonic_seconds();
  loop->run_until([&] { return f.order.size() == 2; });
  double took = luasync::monotonic_seconds() - r0;
  EXPECT_GE(took, 0.045);
  EXPECT_LT(took, 1.0);
  ASSERT_EQ(f.order, (std::vector<int>{1, 2}));
  EXPECT_GE(f.at[0], 100.05);
}

// Switching back and forth never moves time backwards.
TEST_F(ClockSwitchTest, RoundTripsAreMonotonic) {
  open(false);
  double last = loop->time();
  for (int i = 0; i < 50; i++) {
    loop->set_clock_virtual(i % 2 == 0);
    if (loop->clock().is_virtual()) loop->clock().advance_to(loop->time() + 0.5);
    double t = loop->time();
    EXPECT_GE(t, last);
    last = t;
  }
}

}  // namespace
