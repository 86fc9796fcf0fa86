// Unit tests for the clocks (runtime/core/clock.h, clock.cpp) and for how the loop
// and time.sleep (runtime/core/time_lib.cpp) use them.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "asyncio_lib.h"
#include "clock.h"
#include "coro.h"
#include "loop.h"
#include "loop_lib.h"
#include "lua_state_test.h"
#include "runtime.h"

using namespace luasync;

namespace {

TEST(ClockTest, VirtualClockStartsAtZero) {
  VirtualClock c;
  EXPECT_TRUE(c.is_virtual());
  EXPECT_EQ(c.now(), 0.0);
}

TEST(ClockTest, VirtualClockMovesOnlyWhenToldAndExactly) {
  VirtualClock c;
  EXPECT_EQ(c.now(), 0.0);
  EXPECT_EQ(c.now(), 0.0) << "reading does not move it";
  c.advance_to(2.5);
  EXPECT_EQ(c.now(), 2.5);
  c.advance_to(3600.0);
  EXPECT_EQ(c.now(), 3600.0);
  c.advance_to(1e9 + 0.5);
  EXPECT_EQ(c.now(), 1e9 + 0.5);
}

TEST(ClockTest, VirtualClockNeverGoesBackwards) {
  VirtualClock c;
  c.advance_to(5.0);
  c.advance_to(1.0);
  EXPECT_EQ(c.now(), 5.0);
  c.advance_to(5.0);
  EXPECT_EQ(c.now(), 5.0);
  c.advance_to(-1.0);
  EXPECT_EQ(c.now(), 5.0);
}

TEST(ClockTest, RealClockIsNotVirtualAndIgnoresAdvance) {
  RealClock c;
  EXPECT_FALSE(c.is_virtual());
  double before = c.now();
  c.advance_to(before + 1000.0);
  EXPECT_LT(c.now(), before + 1.0) << "advance_to is a no-op for the real clock";
}

TEST(ClockTest, RealClockIsMonotonic) {
  RealClock c;
  double prev = c.now();
  for (int i = 0; i < 100000; i++) {
    double t = c.now();
    ASSERT_GE(t, prev);
    prev = t;
  }
}

TEST(ClockTest, RealClockReadsMonotonicSeconds) {
  RealClock c;
  double a = monotonic_seconds();
  double t = c.now();
  double b = monotonic_seconds();
  EXPECT_GE(t, a);
  EXPECT_LE(t, b);
}

TEST(ClockTest, MonotonicSecondsFollowsRealTime) {
  double a = monotonic_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double b = monotonic_seconds();
  EXPECT_GE(b - a, 0.019);
  EXPECT_LT(b - a, 2.0);
}

// ---------------------------------------------------------------- with a loop

// The state with asyncio; these tests open their loops themselves.
class ClockLoopTest : public LuaStateTest {};

TEST_F(ClockLoopTest, TheLoopUsesTheClockItWasGiven) {
  Loop::Options o;
  o.virtual_clock = true;
  Loop* loop = loop_open(L, o);
  EXPECT_TRUE(loop->clock().is_virtual());
  EXPECT_EQ(loop->time(), 0.0);
  EXPECT_EQ(eval("return asyncio.get_running_loop():time()"), "0.0");
  loop->clock().advance_to(7.25);
  EXPECT_EQ(eval("return asyncio.get_running_loop():time()"), "7.25");
  loop_shutdown(L, loop);
  lua_pop(L, 1);

  o.virtual_clock = false;
  loop = loop_open(L, o);
  EXPECT_FALSE(loop->clock().is_virtual());
  double a = monotonic_seconds();
  double t = loop->time();
  EXPECT_GE(t, a);
  EXPECT_LT(t - a, 1.0);
  loop_shutdown(L, loop);
  lua_pop(L, 1);
}

TEST_F(ClockLoopTest, RunOptionClockSelectsTheClock) {
  EXPECT_EQ(eval("return asyncio.run(async(function() return asyncio.get_running_loop():is_virtual() end)(), "
                 "{clock = 'virtual'})"),
            "true");
  EXPECT_EQ(eval("return asyncio.run(async(function() return asyncio.get_running_loop():is_virtual() end)(), "
                 "{clock = 'real'})"),
            "false");
}

TEST_F(ClockLoopTest, RuntimeDefaultVirtualAppliesWithoutOptions) {
  // What `luasync --virtual-time` sets.
  runtime(L)->default_virtual = true;
  EXPECT_EQ(eval("return asyncio.run(async(function()\n"
                 "  await(asyncio.sleep(3600))\n"
                 "  return asyncio.get_running_loop():time()\n"
                 "end)())"),
            "3600.0");
  EXPECT_EQ(eval("return asyncio.run(async(function() return asyncio.get_running_loop():is_virtual() end)(), "
                 "{clock = 'real'})"),
            "false")
      << "an explicit option wins";
}

TEST_F(ClockLoopTest, TimeSleepAdvancesTheVirtualClockExactly) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(eval("return asyncio.run(async(function()\n"
                 "  local loop = asyncio.get_running_loop()\n"
                 "  time.sleep(1.25)\n"
                 "  local a = loop:time()\n"
                 "  time.sleep(100)\n"
                 "  return a, loop:time()\n"
                 "end)(), {clock = 'virtual'})"),
            "1.25|101.25");
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(real, 1.0) << "no real time spent";
}

TEST_F(ClockLoopTest, TimeSleepBlocksForRealOnTheRealClock) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(eval("return asyncio.run(async(function()\n"
                 "  local loop = asyncio.get_running_loop()\n"
                 "  local a = loop:time()\n"
                 "  time.sleep(0.03)\n"
                 "  return loop:time() - a >= 0.03\n"
                 "end)(), {clock = 'real'})"),
            "true");
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(real, 0.029);
}

TEST_F(ClockLoopTest, TimeSleepOutsideALoopBlocks) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(eval("time.sleep(0.02)"), "");
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(real, 0.019);
}

TEST_F(ClockLoopTest, TimeSleepRejectsBadArguments) {
  EXPECT_NE(eval("time.sleep(-1)").find("non-negative"), std::string::npos);
  EXPECT_NE(eval("time.sleep(0/0)").find("non-negative"), std::string::npos);
  EXPECT_NE(eval("time.sleep('1')").find("number of seconds expected, got string"), std::string::npos);
}

TEST_F(ClockLoopTest, TimeMonotonicAndTime) {
  EXPECT_EQ(eval("local a = time.monotonic(); local b = time.monotonic(); return b >= a, math.type(a)"),
            "true|float");
  EXPECT_EQ(eval("return math.abs(time.time() - os.time()) < 2"), "true");
}

TEST_F(ClockLoopTest, SleepingAnHourOnTheVirtualClockIsInstant) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(eval("return asyncio.run(async(function()\n"
                 "  await(asyncio.sleep(3600))\n"
                 "  return asyncio.get_running_loop():time()\n"
                 "end)(), {clock = 'virtual'})"),
            "3600.0");
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(real, 1.0);
}

}  // namespace
