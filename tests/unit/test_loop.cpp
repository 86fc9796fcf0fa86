// Unit tests for the event loop (runtime/core/loop.h, loop.cpp): the ready queue,
// timers, the virtual clock's jumps, ValueRing, Fifo, hold_clock, native
// timers; plus the loop's lifecycle (asyncio_lib.h) and its Lua bindings
// where they exercise loop internals.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "asyncio_lib.h"
#include "clock.h"
#include "coro.h"
#include "loop.h"
#include "loop_lib.h"
#include "lua_state_test.h"
#include "runtime.h"

using namespace luasync;

namespace {

class LoopTest : public LuaStateTest {
 protected:
  // Runs until nothing can happen (bounded).
  int drain(int max = 10000) {
    int n = 0;
    while (n < max && loop->run_once()) n++;
    return n;
  }
};

// A native callback that records its tag and the loop time.
struct Rec {
  std::vector<std::pair<std::string, double>>* log;
  std::string tag;
  Loop* loop;
  Rec* then = nullptr;  // scheduled (call_soon style) when this one runs
};

void record(lua_State*, void* d) {
  auto* r = static_cast<Rec*>(d);
  r->log->push_back({r->tag, r->loop->time()});
  if (r->then) r->loop->schedule_native(record, r->then);
}

std::vector<std::string> tags(const std::vector<std::pair<std::string, double>>& log) {
  std::vector<std::string> out;
  for (auto& e : log) out.push_back(e.first);
  return out;
}

// ---------------------------------------------------------------- ready queue

TEST_F(LoopTest, RunOnceReturnsFalseWhenNothingCanHappen) {
  open_loop();
  EXPECT_FALSE(loop->run_once());
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  loop->schedule_native(record, &a);
  EXPECT_TRUE(loop->run_once());
  EXPECT_EQ(log.size(), 1u);
  EXPECT_FALSE(loop->run_once());
  EXPECT_EQ(loop->time(), 0.0);
}

TEST_F(LoopTest, ReadyQueueIsFifo) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  std::vector<Rec> recs;
  recs.reserve(10);
  for (int i = 0; i < 10; i++) recs.push_back({&log, std::to_string(i), loop});
  for (auto& r : recs) loop->schedule_native(record, &r);
  EXPECT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
}

TEST_F(LoopTest, CallbacksScheduledDuringAnIterationRunInTheNextOne) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec c{&log, "c", loop};
  Rec b{&log, "b", loop, &c};
  Rec a{&log, "a", loop, &b};
  Rec x{&log, "x", loop};
  loop->schedule_native(record, &a);
  loop->schedule_native(record, &x);
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"a", "x"}));
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"a", "x", "b"}));
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"a", "x", "b", "c"}));
  EXPECT_FALSE(loop->run_once());
}

TEST_F(LoopTest, ManyReadyEntriesKeepTheirOrder) {
  // More than the Fifo's initial capacity (256), scheduled in one go.
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  std::vector<Rec> recs;
  recs.reserve(1000);
  for (int i = 0; i < 1000; i++) recs.push_back({&log, std::to_string(i), loop});
  for (auto& r : recs) loop->schedule_native(record, &r);
  ASSERT_TRUE(loop->run_once());
  ASSERT_EQ(log.size(), 1000u);
  for (int i = 0; i < 1000; i++) ASSERT_EQ(log[i].first, std::to_string(i));
}

TEST_F(LoopTest, ScheduleCallKeepsLuaValuesInOrderAcrossRingGrowth) {
  // schedule_call moves the function and its arguments into the ValueRing;
  // 600 entries of 3 values each make it grow several times.
  open_loop();
  ASSERT_EQ(eval("seen = {}; function cb(a, b) seen[#seen + 1] = a .. ':' .. tostring(b) end"), "");
  for (int i = 0; i < 600; i++) {
    lua_getglobal(L, "cb");
    lua_pushinteger(L, i);
    if (i % 2)
      lua_pushnil(L);
    else
      lua_pushboolean(L, 1);
    loop->schedule_call(L, 2);
  }
  EXPECT_EQ(lua_gettop(L), loop_idx) << "schedule_call pops what it takes";
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(eval("return #seen, seen[1], seen[2], seen[600]"), "600|0:true|1:nil|599:nil");
  EXPECT_EQ(eval("for i = 1, 600 do\n"
                 "  local want = (i - 1) .. ':' .. ((i - 1) % 2 == 1 and 'nil' or 'true')\n"
                 "  if seen[i] ~= want then return i, seen[i], want end\n"
                 "end\n"
                 "return 'ordered'"),
            "ordered");
}

TEST_F(LoopTest, AnErrorInALuaCallbackIsLoggedAndTheOthersRun) {
  open_loop();
  ASSERT_EQ(eval("log = {}"), "");
  ASSERT_EQ(eval("local loop = asyncio.get_running_loop()\n"
                 "loop:call_soon(function() error('callback boom') end)\n"
                 "loop:call_soon(function() log[#log + 1] = 'second' end)",
                 "@cb.lua"),
            "");
  testing::internal::CaptureStderr();
  loop->run_once();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in callback <function at cb.lua:2>"), std::string::npos) << err;
  EXPECT_NE(err.find("cb.lua:2: callback boom"), std::string::npos) << err;
  EXPECT_EQ(eval("return log[1]"), "second");
}

// ---------------------------------------------------------------- timers

TEST_F(LoopTest, TimersFireInTimeOrderAndTheVirtualClockJumpsExactly) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "t3", loop}, b{&log, "t1", loop}, c{&log, "t2.5", loop}, d{&log, "t0.1", loop};
  loop->add_native_timer(3.0, record, &a);
  loop->add_native_timer(1.0, record, &b);
  loop->add_native_timer(2.5, record, &c);
  loop->add_native_timer(0.1, record, &d);
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(loop->time(), 0.1) << "one iteration jumps to the first timer only";
  EXPECT_EQ(tags(log), (std::vector<std::string>{"t0.1"}));
  drain();
  EXPECT_EQ(tags(log), (std::vector<std::string>{"t0.1", "t1", "t2.5", "t3"}));
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].second, 0.1);
  EXPECT_EQ(log[1].second, 1.0);
  EXPECT_EQ(log[2].second, 2.5);
  EXPECT_EQ(log[3].second, 3.0);
  EXPECT_EQ(loop->time(), 3.0);
}

TEST_F(LoopTest, SameInstantTimersFireInSchedulingOrder) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  std::vector<Rec> recs;
  recs.reserve(40);
  for (int i = 0; i < 40; i++) recs.push_back({&log, std::to_string(i), loop});
  // Interleave two instants so the heap has to reorder them.
  for (int i = 0; i < 40; i++) loop->add_native_timer(i % 2 ? 2.0 : 1.0, record, &recs[i]);
  drain();
  std::vector<std::string> expected;
  for (int i = 0; i < 40; i += 2) expected.push_back(std::to_string(i));
  for (int i = 1; i < 40; i += 2) expected.push_back(std::to_string(i));
  EXPECT_EQ(tags(log), expected);
}

TEST_F(LoopTest, DueTimersRunInTheSameIterationAfterTheReadyCallbacks) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec ready{&log, "ready", loop}, timer{&log, "timer", loop};
  loop->add_native_timer(0.0, record, &timer);
  loop->schedule_native(record, &ready);
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"ready", "timer"}));
}

TEST_F(LoopTest, VirtualClockDoesNotMoveWhileCallbacksAreReady) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec timer{&log, "timer", loop};
  loop->add_native_timer(5.0, record, &timer);
  // A chain of 10 callbacks, each scheduling the next.
  std::vector<Rec> chain(10, Rec{&log, "c", loop});
  for (int i = 0; i < 9; i++) chain[i].then = &chain[i + 1];
  loop->schedule_native(record, &chain[0]);
  for (int i = 0; i < 10; i++) {
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(loop->time(), 0.0) << "iteration " << i;
  }
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(loop->time(), 5.0);
  EXPECT_EQ(log.back().first, "timer");
}

TEST_F(LoopTest, VirtualClockNeverGoesBackwards) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec late{&log, "late", loop}, past{&log, "past", loop};
  loop->add_native_timer(5.0, record, &late);
  drain();
  ASSERT_EQ(loop->time(), 5.0);
  loop->add_native_timer(1.0, record, &past);  // already due
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(tags(log), (std::vector<std::string>{"late", "past"}));
  EXPECT_EQ(log[1].second, 5.0);
  EXPECT_EQ(loop->time(), 5.0);
}

TEST_F(LoopTest, CancelledNativeTimersNeverFireAndKeepNothingAlive) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop}, b{&log, "b", loop}, c{&log, "c", loop};
  uint64_t ia = loop->add_native_timer(1.0, record, &a);
  loop->add_native_timer(2.0, record, &b);
  uint64_t ic = loop->add_native_timer(3.0, record, &c);
  EXPECT_NE(ia, ic);
  loop->cancel_native_timer(ia);
  loop->cancel_native_timer(ic);
  drain();
  EXPECT_EQ(tags(log), (std::vector<std::string>{"b"}));
  EXPECT_EQ(loop->time(), 2.0) << "the clock does not jump to a cancelled timer";
  EXPECT_FALSE(loop->run_once());
}

TEST_F(LoopTest, OnlyCancelledTimersLeftMeansNothingCanHappen) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  loop->cancel_native_timer(loop->add_native_timer(100.0, record, &a));
  EXPECT_FALSE(loop->run_once());
  EXPECT_EQ(loop->time(), 0.0);
  EXPECT_TRUE(log.empty());
}

TEST_F(LoopTest, CancellingAnUnknownNativeTimerIsHarmless) {
  open_loop();
  loop->cancel_native_timer(12345);
  EXPECT_FALSE(loop->run_once());
}

TEST_F(LoopTest, HoldClockMakesTheVirtualClockWait) {
  open_loop(true, 0.01);
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  loop->add_native_timer(10.0, record, &a);
  loop->hold_clock();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; i++) {
    EXPECT_TRUE(loop->run_once()) << "a held clock keeps the loop alive";
    EXPECT_EQ(loop->time(), 0.0);
  }
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(log.empty());
  EXPECT_GE(waited, 0.025) << "each iteration waits the real-time grace for I/O";
  loop->release_clock();
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(loop->time(), 10.0);
  EXPECT_EQ(tags(log), (std::vector<std::string>{"a"}));
}

TEST_F(LoopTest, NestedHoldsNeedBalancedReleases) {
  open_loop(true, 0.005);
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  loop->add_native_timer(1.0, record, &a);
  loop->hold_clock();
  loop->hold_clock();
  loop->release_clock();
  loop->run_once();
  EXPECT_EQ(loop->time(), 0.0) << "still held once";
  loop->release_clock();
  loop->run_once();
  EXPECT_EQ(loop->time(), 1.0);
}

TEST_F(LoopTest, RealClockTimerWaitsRealTime) {
  open_loop(false);
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  double start = loop->time();
  loop->add_native_timer(start + 0.03, record, &a);
  auto t0 = std::chrono::steady_clock::now();
  bool fired = loop->run_until([&] { return !log.empty(); });
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(fired);
  EXPECT_GE(log[0].second, start + 0.03);
  EXPECT_GE(real, 0.029);
  EXPECT_LT(real, 2.0);
}

TEST_F(LoopTest, RunUntilReportsWhetherThePredicateBecameTrue) {
  open_loop();
  std::vector<std::pair<std::string, double>> log;
  Rec a{&log, "a", loop};
  loop->add_native_timer(2.0, record, &a);
  EXPECT_TRUE(loop->run_until([&] { return log.size() == 1; }));
  EXPECT_FALSE(loop->run_until([&] { return log.size() == 2; })) << "nothing left: false";
}

// ---------------------------------------------------------------- ValueRing

TEST_F(LoopTest, ValueRingIsFifoAndGrowsInOrder) {
  ValueRing r;
  r.init(L, 4);
  int top = lua_gettop(L);
  for (int i = 1; i <= 10; i++) {
    lua_pushinteger(L, i);
    r.push(L);
  }
  EXPECT_EQ(lua_gettop(L), top) << "push pops the value";
  EXPECT_EQ(r.size(), 10u);
  for (int i = 1; i <= 3; i++) {
    r.pop(L);
    EXPECT_EQ(lua_tointeger(L, -1), i);
    lua_pop(L, 1);
  }
  for (int i = 11; i <= 30; i++) {
    lua_pushinteger(L, i);
    r.push(L);
  }
  EXPECT_EQ(r.size(), 27u);
  for (int i = 4; i <= 30; i++) {
    r.pop(L);
    ASSERT_EQ(lua_tointeger(L, -1), i);
    lua_pop(L, 1);
  }
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(lua_gettop(L), top);
  r.release(L);
}

TEST_F(LoopTest, ValueRingGrowsWhileWrappedAround) {
  ValueRing r;
  r.init(L, 8);
  for (int i = 0; i < 6; i++) {
    lua_pushinteger(L, i);
    r.push(L);
  }
  for (int i = 0; i < 5; i++) {
    r.pop(L);
    lua_pop(L, 1);
  }
  // head is at 5: pushing 20 more wraps around, then grows twice.
  for (int i = 6; i < 26; i++) {
    lua_pushinteger(L, i);
    r.push(L);
  }
  for (int i = 5; i < 26; i++) {
    r.pop(L);
    ASSERT_EQ(lua_tointeger(L, -1), i);
    lua_pop(L, 1);
  }
  r.release(L);
}

TEST_F(LoopTest, ValueRingKeepsNilAndValuesOfEveryType) {
  ValueRing r;
  r.init(L, 2);
  lua_pushnil(L);
  r.push(L);
  lua_pushstring(L, "s");
  r.push(L);
  lua_newtable(L);
  const void* t = lua_topointer(L, -1);
  r.push(L);
  r.pop(L);
  EXPECT_TRUE(lua_isnil(L, -1));
  r.pop(L);
  EXPECT_STREQ(lua_tostring(L, -1), "s");
  r.pop(L);
  EXPECT_EQ(lua_topointer(L, -1), t);
  lua_pop(L, 3);
  r.release(L);
}

TEST_F(LoopTest, ValueRingReleasesPoppedValues) {
  // After pop, the ring must not keep the value alive.
  ValueRing r;
  r.init(L, 4);
  ASSERT_EQ(eval("weak = setmetatable({}, {__mode = 'v'})"), "");
  ASSERT_EQ(eval("weak[1] = {}; return weak[1]").substr(0, 6), "table:");
  lua_getglobal(L, "weak");
  lua_rawgeti(L, -1, 1);
  r.push(L);
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT);
  EXPECT_EQ(eval("return weak[1] ~= nil"), "true") << "kept while in the ring";
  r.pop(L);
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT);
  EXPECT_EQ(eval("return weak[1] == nil"), "true") << "released once popped";
  r.release(L);
}

// ---------------------------------------------------------------- Fifo

TEST(FifoTest, EmptyAtFirst) {
  Fifo<int> f;
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.size(), 0u);
}

TEST(FifoTest, GrowthKeepsOrder) {
  Fifo<int> f;
  for (int i = 0; i < 1000; i++) f.push(i);
  EXPECT_EQ(f.size(), 1000u);
  for (int i = 0; i < 1000; i++) ASSERT_EQ(f.pop(), i);
  EXPECT_TRUE(f.empty());
}

TEST(FifoTest, GrowthWhileWrappedAroundKeepsOrder) {
  Fifo<int> f;
  int next_in = 0, next_out = 0;
  for (; next_in < 200; next_in++) f.push(next_in);
  for (; next_out < 150; next_out++) ASSERT_EQ(f.pop(), next_out);
  // 50 queued, head at 150 of a 256 buffer: this wraps, then grows.
  for (; next_in < 800; next_in++) f.push(next_in);
  EXPECT_EQ(f.size(), 650u);
  while (!f.empty()) ASSERT_EQ(f.pop(), next_out++);
  EXPECT_EQ(next_out, 800);
}

TEST(FifoTest, InterleavedPushPopOverManyLaps) {
  Fifo<uint64_t> f;
  uint64_t in = 0, out = 0;
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 37; i++) f.push(in++);
    for (int i = 0; i < 30; i++) ASSERT_EQ(f.pop(), out++);
  }
  while (!f.empty()) ASSERT_EQ(f.pop(), out++);
  EXPECT_EQ(in, out);
}

TEST(FifoTest, Clear) {
  Fifo<int> f;
  for (int i = 0; i < 300; i++) f.push(i);
  f.clear();
  EXPECT_TRUE(f.empty());
  f.push(7);
  EXPECT_EQ(f.pop(), 7);
}

// ---------------------------------------------------------------- lifecycle

TEST_F(LoopTest, LoopOpenMakesItTheRunningLoopAndShutdownClears) {
  open_loop();
  EXPECT_EQ(runtime(L)->loop, loop);
  EXPECT_EQ(eval("return asyncio.get_running_loop():is_running()"), "true");
  EXPECT_EQ(eval("local c = async(function() end)()\n"
                 "local ok, e = pcall(asyncio.run, c)\n"
                 "c:close()\n"
                 "return ok, e"),
            "false|asyncio.run() cannot be called from a running event loop");
  close_loop();
  EXPECT_EQ(runtime(L)->loop, nullptr);
  EXPECT_EQ(eval("return (pcall(asyncio.get_running_loop))"), "false");
  EXPECT_EQ(eval("return asyncio.run(async(function() return 'again' end)())"), "again");
}

TEST_F(LoopTest, EachLoopHasItsOwnId) {
  open_loop();
  uint64_t a = loop->id();
  close_loop();
  open_loop();
  EXPECT_NE(loop->id(), a);
}

TEST_F(LoopTest, ShutdownCancelsLeftoverTasksAndDropsPendingEntries) {
  open_loop();
  ASSERT_EQ(eval("cleaned = false\n"
                 "asyncio.create_task(async(function()\n"
                 "  local ok = pcall(await, asyncio.sleep(100))\n"
                 "  cleaned = not ok\n"
                 "end)())\n"
                 "asyncio.get_running_loop():call_later(50, function() fired = true end)"),
            "");
  ASSERT_TRUE(loop->run_once());  // the task starts sleeping
  EXPECT_EQ(loop->task_count(), 1u);
  close_loop();
  EXPECT_EQ(eval("return cleaned, fired"), "true|nil");
}

TEST_F(LoopTest, DescribeValueOfAFunctionGivesItsSource) {
  ASSERT_EQ(eval("f = function() end", "@desc.lua"), "");
  lua_getglobal(L, "f");
  EXPECT_EQ(describe_value(L, -1), "<function at desc.lua:1>");
  lua_pop(L, 1);
}

TEST_F(LoopTest, DebugModeReportsASlowCallback) {
  open_loop(true, 0.05, true);
  ASSERT_EQ(eval("asyncio.get_running_loop():call_soon(function() time.sleep(2) end)", "@slow.lua"), "");
  testing::internal::CaptureStderr();
  loop->run_once();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Executing <function at slow.lua:1> took 2.000 seconds"), std::string::npos) << err;
  EXPECT_EQ(loop->time(), 2.0);
}

TEST_F(LoopTest, NoSlowCallbackReportWithoutDebug) {
  open_loop(true, 0.05, false);
  ASSERT_EQ(eval("asyncio.get_running_loop():call_soon(function() time.sleep(2) end)"), "");
  testing::internal::CaptureStderr();
  loop->run_once();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("Executing"), std::string::npos) << err;
}

// A callback with many arguments: the loop pushes them all onto its thread's
// stack when it runs the handle, so it must make room for them.
TEST_F(LoopTest, CallSoonWithManyArguments) {
  EXPECT_EXIT(
      {
        std::string r = eval(
            "local t = {}\n"
            "for i = 1, 200 do t[i] = i end\n"
            "return asyncio.run(async(function()\n"
            "  local got\n"
            "  asyncio.get_running_loop():call_soon(function(...)\n"
            "    got = select('#', ...) .. ':' .. tostring((select(200, ...)))\n"
            "  end, table.unpack(t, 1, 200))\n"
            "  await(asyncio.sleep(0))\n"
            "  return got\n"
            "end)(), {clock = 'virtual'})");
        coro_flush_recent(L);
        lua_close(L);
        std::fprintf(stderr, "got: %s\n", r.c_str());
        std::exit(r == "200:200" ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// luaopen_asyncio must not rely on the Lua state's extra space being zeroed:
// Lua leaves the main thread's extra space uninitialized (lua_newstate does
// not clear it), and stock lua5.4 loading the module does nothing about it.
// This allocator fills fresh blocks with garbage, as malloc may.
void* garbage_alloc(void*, void* ptr, size_t osize, size_t nsize) {
  if (nsize == 0) {
    std::free(ptr);
    return nullptr;
  }
  void* p = std::realloc(ptr, nsize);
  if (p && !ptr) std::memset(p, 0xbe, nsize);
  return p;
}

TEST(LoopModuleTest, OpensOnAStateWhoseExtraSpaceIsNotZeroed) {
  EXPECT_EXIT(
      {
        lua_State* S = lua_newstate(garbage_alloc, nullptr);
        luaL_openlibs(S);
        luaL_requiref(S, "asyncio", luaopen_asyncio, 1);
        lua_pop(S, 1);
        int ok = luaL_dostring(S,
                               "return asyncio.run(asyncio.async(function() "
                               "return asyncio.await(asyncio.sleep(1, 'ok')) end)(), {clock = 'virtual'})");
        bool good = ok == LUA_OK && lua_isstring(S, -1) && std::strcmp(lua_tostring(S, -1), "ok") == 0;
        coro_flush_recent(S);
        lua_close(S);
        std::exit(good ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
