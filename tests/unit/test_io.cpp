// Unit tests for the I/O layers' shared object rules (runtime/io/io.h) and the
// loop's I/O hooks (Loop::add_close_hook, park_request).
#include <gtest/gtest.h>

#include <lua.hpp>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "asyncio_lib.h"
#include "coro.h"
#include "future.h"
#include "io.h"
#include "loop.h"
#include "runtime.h"

using namespace luasync;

namespace {

class IoTest : public ::testing::Test {
 protected:
  lua_State* L = nullptr;
  Loop* loop = nullptr;
  int loop_idx = 0;

  void SetUp() override {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "asyncio", luaopen_asyncio, 1);
    lua_pop(L, 1);
    Loop::Options o;
    o.virtual_clock = true;
    o.autojump_grace = 0.01;
    loop = loop_open(L, o);
    loop_idx = lua_gettop(L);
  }

  void TearDown() override {
    if (loop) close_loop();
    coro_flush_recent(L);
    lua_close(L);
  }

  void close_loop() {
    loop_shutdown(L, loop);
    lua_settop(L, loop_idx - 1);
    loop = nullptr;
  }
};

// An object with a uv_timer handle; records what happens to it.
struct Log {
  std::vector<uint32_t> events;
  int closing = 0;
  int done = 0;
  bool done_cancelled = false;
  bool freed = false;
};

class Probe final : public IoObject {
 public:
  Probe(Loop* loop, Log* log) : IoObject(loop), log_(log) {
    uv_timer_init(loop->uv(), &timer_);
    timer_.data = this;
    hold_uv();
  }
  ~Probe() override { log_->freed = true; }
  void close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
        static_cast<Probe*>(h->data)->release_uv();
      });
  }
  static void done(lua_State* L, IoObject* o) {
    auto* p = static_cast<Probe*>(o);
    p->log_->done++;
    p->log_->done_cancelled = to_future(L, -1)->state == Future::Cancelled;
  }

 protected:
  void on_events(lua_State*, uint32_t events) override { log_->events.push_back(events); }
  void loop_closing(lua_State*) override {
    log_->closing++;
    close();
  }

 private:
  uv_timer_t timer_;
  Log* log_;
};

TEST_F(IoTest, PostedEventsMergeIntoOneCall) {
  Log log;
  auto* p = new Probe(loop, &log);
  p->post(1);
  p->post(2);
  p->post(2);
  loop->run_once();
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0], 3u);
  p->post(4);
  loop->run_once();
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[1], 4u);
  p->close();
  loop->run_once();
  EXPECT_TRUE(log.freed);
}

TEST_F(IoTest, FreedOnlyWhenHandleClosedAndEntriesRan) {
  Log log;
  auto* p = new Probe(loop, &log);
  p->hold();  // a userdata
  p->post(1);
  p->close();
  for (int i = 0; i < 3; i++) loop->run_once();  // the posted event, then the close callback
  EXPECT_FALSE(log.freed) << "a userdata still points at it";
  EXPECT_EQ(log.events.size(), 1u);
  p->release();
  EXPECT_TRUE(log.freed);
}

TEST_F(IoTest, LoopCloseClosesHandlesAndDropsQueuedEntries) {
  Log log;
  auto* p = new Probe(loop, &log);
  p->post(1);  // never runs: the loop closes first
  (void)p;
  close_loop();
  EXPECT_EQ(log.closing, 1);
  EXPECT_TRUE(log.events.empty());
  EXPECT_TRUE(log.freed);
}

TEST_F(IoTest, LoopCloseDetachesHeldObjects) {
  Log log;
  auto* p = new Probe(loop, &log);
  p->hold();
  close_loop();
  EXPECT_EQ(log.closing, 1);
  EXPECT_FALSE(log.freed);
  EXPECT_EQ(p->loop(), nullptr);
  p->post(1);  // ignored once detached
  p->release();
  EXPECT_TRUE(log.freed);
}

TEST_F(IoTest, DoneCallbackSeesCancellation) {
  Log log;
  auto* p = new Probe(loop, &log);
  push_new_future(L);
  int fut = lua_gettop(L);
  p->on_done(L, fut, Probe::done);
  future_cancel(L, fut, 0);
  loop->run_once();
  EXPECT_EQ(log.done, 1);
  EXPECT_TRUE(log.done_cancelled);
  // On an already completed future it runs too.
  push_new_future(L);
  future_set_result(L, -1, 0, 0);
  p->on_done(L, lua_gettop(L), Probe::done);
  loop->run_once();
  EXPECT_EQ(log.done, 2);
  EXPECT_FALSE(log.done_cancelled);
  lua_settop(L, fut - 1);
  p->close();
  loop->run_once();
  EXPECT_TRUE(log.freed);
}

TEST_F(IoTest, CloseHooksRunInOrderAndCanBeRemoved) {
  static std::vector<int> order;
  order.clear();
  auto hook = [](lua_State*, void* d) { order.push_back(static_cast<int>(reinterpret_cast<intptr_t>(d))); };
  loop->add_close_hook(hook, reinterpret_cast<void*>(1));
  uint64_t two = loop->add_close_hook(hook, reinterpret_cast<void*>(2));
  loop->add_close_hook(hook, reinterpret_cast<void*>(3));
  loop->remove_close_hook(two);
  close_loop();
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

// A libuv request that never completes by itself (a thread-pool job that
// waits for a flag): held, the virtual clock waits; parked, it jumps.
TEST_F(IoTest, ParkedRequestsLetTheVirtualClockJump) {
  static std::atomic<bool> release{false};
  release = false;
  uv_work_t work;
  uv_queue_work(
      loop->uv(), &work,
      [](uv_work_t*) {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      },
      [](uv_work_t*, int) {});
  static bool fired;
  fired = false;
  loop->add_native_timer(10.0, [](lua_State*, void*) { fired = true; }, nullptr);
  for (int i = 0; i < 5; i++) loop->run_once();
  EXPECT_FALSE(fired) << "an active request holds the virtual clock";
  EXPECT_EQ(loop->time(), 0.0);
  loop->park_request();
  for (int i = 0; i < 5 && !fired; i++) loop->run_once();
  EXPECT_TRUE(fired);
  EXPECT_EQ(loop->time(), 10.0);
  loop->unpark_request();
  release = true;
  uv_run(loop->uv(), UV_RUN_DEFAULT);  // until the job is done
}

}  // namespace
