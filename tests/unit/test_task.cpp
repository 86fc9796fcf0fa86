// Unit tests for Task (runtime/core/task.h, task.cpp): stepping, cancel /
// uncancel / cancelling counts, must_cancel before start, cancel while
// sleeping, a task awaiting itself, a bad yield, results, reports.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "asyncio_lib.h"
#include "coro.h"
#include "future.h"
#include "loop.h"
#include "loop_lib.h"
#include "lua_state_test.h"
#include "runtime.h"
#include "task.h"

using namespace luasync;

namespace {

class TaskTest : public LuaStateTest {
 protected:

  // Creates a task from the coroutine object the Lua expression makes; the
  // task is stored in global `t` and returned.
  Task* make_task(const std::string& coro_expr) {
    std::string code = "return " + coro_expr;
    EXPECT_EQ(luaL_loadstring(L, code.c_str()), LUA_OK);
    EXPECT_EQ(lua_pcall(L, 0, 1, 0), LUA_OK) << lua_tostring(L, -1);
    int cidx = lua_gettop(L);
    Task* t = push_new_task(L, cidx, 0);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "t");
    lua_settop(L, cidx - 1);
    return t;
  }
};

// ---------------------------------------------------------------- stepping

TEST_F(TaskTest, ANewTaskIsScheduledNotStarted) {
  open_loop();
  ASSERT_EQ(eval("steps = 0"), "");
  Task* t = make_task("async(function() steps = steps + 1 end)()");
  EXPECT_TRUE(t->is_task);
  EXPECT_FALSE(t->started);
  EXPECT_EQ(t->waiting, Task::Wait::None);
  EXPECT_EQ(t->state, Future::Pending);
  EXPECT_EQ(eval("return steps"), "0") << "create_task runs nothing";
  EXPECT_EQ(loop->task_count(), 1u);
  ASSERT_TRUE(loop->run_once());
  EXPECT_TRUE(t->started);
  EXPECT_EQ(t->state, Future::Finished);
  EXPECT_EQ(eval("return steps"), "1");
  EXPECT_EQ(loop->task_count(), 0u);
  EXPECT_EQ(loop->current_task(), nullptr) << "no current task between steps";
}

TEST_F(TaskTest, EachStepRunsUntilTheNextAwaitThatSuspends) {
  open_loop();
  ASSERT_EQ(eval("steps = 0"), "");
  Task* t = make_task(
      "async(function()\n"
      "  for i = 1, 3 do steps = steps + 1; await(asyncio.sleep(0)) end\n"
      "  return 'done'\n"
      "end)()");
  for (int i = 1; i <= 3; i++) {
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(eval("return steps"), std::to_string(i));
    EXPECT_EQ(t->state, Future::Pending);
  }
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->state, Future::Finished);
  EXPECT_EQ(eval("return t:result()"), "done");
}

TEST_F(TaskTest, ASleepingTaskWaitsOnATimer) {
  open_loop();
  Task* t = make_task("asyncio.sleep(5, 'woke')");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->waiting, Task::Wait::Timer);
  EXPECT_EQ(eval("return tostring(t):find('sleeping', 1, true) ~= nil"), "true");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(loop->time(), 5.0);
  EXPECT_EQ(t->state, Future::Finished);
  EXPECT_EQ(eval("return t:result()"), "woke");
}

TEST_F(TaskTest, ATaskAwaitingAFutureWaitsOnIt) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future()"), "");
  Task* t = make_task("async(function() return await(f) end)()");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->waiting, Task::Wait::Future);
  lua_getglobal(L, "f");
  Future* f = to_future(L, -1);
  lua_pop(L, 1);
  EXPECT_EQ(f->ncallbacks, 1u) << "the task's wake-up";
  EXPECT_EQ(eval("return tostring(t):find('wait_for=<Future pending>', 1, true) ~= nil"), "true");
  EXPECT_FALSE(loop->run_once()) << "nothing can happen: a deadlock";
  ASSERT_EQ(eval("f:set_result(7)"), "");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(eval("return t:result()"), "7");
}

TEST_F(TaskTest, CurrentTaskDuringAStep) {
  EXPECT_EQ(run("local inner\n"
                "local t = asyncio.create_task(async(function() inner = asyncio.current_task() end)())\n"
                "await(t)\n"
                "return rawequal(inner, t), rawequal(asyncio.current_task(), t)"),
            "true|false");
}

TEST_F(TaskTest, ResultsOfATask) {
  EXPECT_EQ(run("local t = asyncio.create_task(async(function() return 1, nil, 3 end)())\n"
                "local r = table.pack(await(t))\n"
                "local r2 = table.pack(t:result())\n"
                "return r.n, r[1], r[3], r2.n"),
            "3|1|3|3");
}

// ---------------------------------------------------------------- cancel

TEST_F(TaskTest, CancelBeforeStartNeverRunsTheBody) {
  open_loop();
  ASSERT_EQ(eval("ran = false"), "");
  Task* t = make_task("async(function() ran = true end)()");
  EXPECT_EQ(eval("return t:cancel('early')"), "true");
  EXPECT_TRUE(t->must_cancel);
  EXPECT_EQ(t->num_cancels_requested, 1);
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->state, Future::Cancelled);
  EXPECT_FALSE(t->started) << "the body never ran";
  EXPECT_FALSE(t->must_cancel);
  EXPECT_EQ(eval("return ran"), "false");
  EXPECT_EQ(eval("local ok, e = pcall(t.result, t); return tostring(e)"), "CancelledError: early");
  EXPECT_EQ(loop->task_count(), 0u);
}

TEST_F(TaskTest, CancelWhileSleepingWakesAtOnce) {
  open_loop();
  ASSERT_EQ(eval("seen = nil"), "");
  Task* t = make_task(
      "async(function()\n"
      "  local ok, e = pcall(await, asyncio.sleep(100))\n"
      "  seen = tostring(e) .. ' at ' .. asyncio.get_running_loop():time()\n"
      "  error(e, 0)\n"
      "end)()");
  ASSERT_TRUE(loop->run_once());
  ASSERT_EQ(t->waiting, Task::Wait::Timer);
  EXPECT_EQ(eval("return t:cancel('wake up')"), "true");
  EXPECT_EQ(t->waiting, Task::Wait::None) << "rescheduled";
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->state, Future::Cancelled);
  EXPECT_EQ(eval("return seen"), "CancelledError: wake up at 0.0");
  EXPECT_EQ(loop->time(), 0.0);
  EXPECT_FALSE(loop->run_once()) << "the dead sleep timer keeps nothing alive";
  EXPECT_EQ(loop->time(), 0.0) << "and the clock does not jump to it";
}

TEST_F(TaskTest, CancelWhileWaitingOnAFutureCancelsTheFuture) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future()"), "");
  Task* t = make_task("async(function() return await(f) end)()");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(eval("return t:cancel('m')"), "true");
  EXPECT_EQ(eval("return f:cancelled()"), "true");
  EXPECT_FALSE(t->must_cancel) << "the waiter took the cancellation";
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(t->state, Future::Cancelled);
  EXPECT_EQ(eval("local ok, e = pcall(t.result, t); return tostring(e)"), "CancelledError: m");
}

TEST_F(TaskTest, CancellingAndUncancelCounts) {
  open_loop();
  Task* t = make_task("asyncio.sleep(10)");
  EXPECT_EQ(eval("return t:cancelling(), t:uncancel()"), "0|0");
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(eval("return t:cancel(), t:cancel(), t:cancel()"), "true|true|true");
  EXPECT_EQ(t->num_cancels_requested, 3);
  EXPECT_EQ(eval("return t:cancelling()"), "3");
  EXPECT_EQ(eval("return t:uncancel()"), "2");
  EXPECT_TRUE(t->must_cancel);
  EXPECT_EQ(eval("return t:uncancel(), t:uncancel(), t:uncancel()"), "1|0|0");
  EXPECT_FALSE(t->must_cancel) << "uncancel to zero withdraws the pending cancel (Python 3.13)";
}

TEST_F(TaskTest, CancelOfADoneTaskReturnsFalse) {
  open_loop();
  Task* t = make_task("async(function() return 1 end)()");
  loop->run_once();
  ASSERT_EQ(t->state, Future::Finished);
  EXPECT_EQ(eval("return t:cancel(), t:cancelling(), t:result()"), "false|0|1");
}

TEST_F(TaskTest, SwallowedCancellationLetsTheTaskFinish) {
  EXPECT_EQ(run("local t = asyncio.create_task(async(function()\n"
                "  pcall(await, asyncio.sleep(10))\n"
                "  return 'survived'\n"
                "end)())\n"
                "await(asyncio.sleep(1))\n"
                "t:cancel()\n"
                "return await(t), t:cancelled(), t:cancelling()"),
            "survived|false|1");
}

TEST_F(TaskTest, CancelledErrorRaisedByTheBodyEndsItCancelled) {
  EXPECT_EQ(run("local t = asyncio.create_task(async(function() error(asyncio.CancelledError('own')) end)())\n"
                "local ok, e = pcall(await, t)\n"
                "return t:cancelled(), tostring(e)"),
            "true|CancelledError: own");
}

// ---------------------------------------------------------------- misuse

TEST_F(TaskTest, ATaskAwaitingItselfGetsTheErrorAtItsAwait) {
  // Raised at the task's own await, where its pcall catches it; the task
  // then goes on.
  EXPECT_EQ(run("local t\n"
                "t = asyncio.create_task(async(function()\n"
                "  await(asyncio.sleep(0))\n"
                "  local ok, e = pcall(await, t)\n"
                "  return ok, tostring(e)\n"
                "end)(), 'me')\n"
                "local ok, e = await(t)\n"
                "return ok, e, t:cancelled()"),
            "false|a task cannot await itself (task 'me')|false");
  // Uncaught, it fails the task.
  EXPECT_EQ(run("local t\n"
                "t = asyncio.create_task(async(function() await(asyncio.sleep(0)); await(t) end)(), 'me')\n"
                "local ok, e = pcall(await, t)\n"
                "return ok, tostring(e), t:cancelled()"),
            "false|a task cannot await itself (task 'me')|false");
}

TEST_F(TaskTest, ABadYieldFailsTheTaskWithAClearMessage) {
  std::string r = run(
      "local t = asyncio.create_task(async(function()\n"
      "  coroutine.yield(1, 2, 3)\n"
      "end)())\n"
      "local ok, e = pcall(await, t)\n"
      "return ok, tostring(e)");
  EXPECT_EQ(r.substr(0, 6), "false|") << r;
  EXPECT_NE(r.find("bad yield"), std::string::npos) << r;
  EXPECT_NE(r.find("coroutine.yield()"), std::string::npos) << r;
}

TEST_F(TaskTest, ABareYieldWithoutValuesFailsTheTask) {
  std::string r = run(
      "local t = asyncio.create_task(async(function() coroutine.yield() end)())\n"
      "local ok, e = pcall(await, t)\n"
      "return ok, tostring(e)");
  EXPECT_EQ(r.substr(0, 6), "false|") << r;
  EXPECT_NE(r.find("bad yield"), std::string::npos) << r;
}

TEST_F(TaskTest, ABadYieldClosesToBeClosedVariablesAndTheLoopGoesOn) {
  EXPECT_EQ(run("local closed = false\n"
                "local t = asyncio.create_task(async(function()\n"
                "  local r <close> = setmetatable({}, {__close = function() closed = true end})\n"
                "  coroutine.yield('x')\n"
                "end)())\n"
                "pcall(await, t)\n"
                "return closed, await(asyncio.sleep(1, 'alive'))"),
            "true|alive");
}

TEST_F(TaskTest, ABadYieldInTheMainTaskFailsRunInsteadOfCrashing) {
  std::string r = eval("return pcall(asyncio.run, async(function() coroutine.yield() end)())");
  EXPECT_EQ(r.substr(0, 6), "false|") << r;
  EXPECT_NE(r.find("bad yield"), std::string::npos) << r;
}

TEST_F(TaskTest, SetResultOnATaskIsRefused) {
  EXPECT_NE(run("local t = asyncio.create_task(async(function() end)())\n"
                "t:set_result(1)")
                .find("Task does not support"),
            std::string::npos);
}

TEST_F(TaskTest, CreateTaskOutsideALoopRaises) {
  EXPECT_EQ(eval("local c = async(function() end)()\n"
                 "local ok, e = pcall(asyncio.create_task, c)\n"
                 "c:close()\n"
                 "return ok, e"),
            "false|no running event loop (create tasks inside asyncio.run)");
}

// ---------------------------------------------------------------- arguments

// A task body with many arguments: they are moved onto the task's new thread,
// whose stack must be made large enough first.
TEST_F(TaskTest, TaskBodyWithManyArguments) {
  EXPECT_EXIT(
      {
        std::string r = run(
            "local t = {}\n"
            "for i = 1, 200 do t[i] = i end\n"
            "local f = async(function(...) return select('#', ...), (select(200, ...)) end)\n"
            "return await(asyncio.create_task(f(table.unpack(t, 1, 200))))");
        coro_flush_recent(L);
        lua_close(L);
        std::fprintf(stderr, "got: %s\n", r.c_str());
        std::exit(r == "200|200" ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------- reports

TEST_F(TaskTest, UnretrievedTaskExceptionIsReported) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run("asyncio.create_task(async(function() error('lost', 0) end)(), 'loser')\n"
                "await(asyncio.sleep(1))"),
            "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Task exception was never retrieved"), std::string::npos) << err;
  EXPECT_NE(err.find("name='loser'"), std::string::npos) << err;
  EXPECT_NE(err.find("lost"), std::string::npos) << err;
}

TEST_F(TaskTest, AwaitedTaskExceptionIsNotReported) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run("local t = asyncio.create_task(async(function() error('seen', 0) end)())\n"
                "return (pcall(await, t))"),
            "false");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
}

// A task is anchored in the registry (self_ref) only until it is done; a
// finished task nobody references must be collectable.
TEST_F(TaskTest, DoneTasksReleaseTheirAnchor) {
  open_loop();
  Task* ok = make_task("async(function() return 1 end)()");
  Task* failed = make_task("async(function() error('x', 0) end)()");
  Task* slept = make_task("asyncio.sleep(1, 'v')");
  Task* cancelled = make_task("asyncio.sleep(100)");
  ASSERT_EQ(eval("return t:cancel()"), "true");  // `t` is the last one made
  EXPECT_NE(ok->self_ref, LUA_NOREF);
  loop->run_until([&] { return loop->task_count() == 0; });
  EXPECT_EQ(ok->state, Future::Finished);
  EXPECT_EQ(failed->state, Future::Finished);
  EXPECT_EQ(slept->state, Future::Finished);
  EXPECT_EQ(cancelled->state, Future::Cancelled);
  EXPECT_EQ(ok->self_ref, LUA_NOREF) << "finished with a result";
  EXPECT_EQ(failed->self_ref, LUA_NOREF) << "finished with an exception";
  EXPECT_EQ(slept->self_ref, LUA_NOREF) << "finished after a sleep";
  EXPECT_EQ(cancelled->self_ref, LUA_NOREF) << "cancelled";
  ASSERT_EQ(eval("t = nil"), "");
}

TEST_F(TaskTest, AFinishedTaskNobodyReferencesIsCollected) {
  EXPECT_EQ(run("local weak = setmetatable({}, {__mode = 'k'})\n"
                "local function spawn(body) weak[asyncio.create_task(async(body)())] = true end\n"
                "spawn(function() return 1 end)\n"
                "spawn(function() await(asyncio.sleep(1)) end)\n"
                "await(asyncio.sleep(2))\n"
                "collectgarbage(); collectgarbage()\n"
                "local n = 0\n"
                "for _ in pairs(weak) do n = n + 1 end\n"
                "return n"),
            "0");
}

TEST_F(TaskTest, UnretrievedTaskExceptionIsReportedWhenTheTaskIsCollected) {
  open_loop();
  ASSERT_EQ(eval("asyncio.create_task(async(function() error('dropped', 0) end)(), 'dropped-task')"), "");
  ASSERT_TRUE(loop->run_once());  // the task fails; nobody keeps it
  testing::internal::CaptureStderr();
  lua_gc(L, LUA_GCCOLLECT);
  lua_gc(L, LUA_GCCOLLECT);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Task exception was never retrieved"), std::string::npos) << err;
  EXPECT_NE(err.find("name='dropped-task'"), std::string::npos) << err;
  EXPECT_NE(err.find("dropped"), std::string::npos) << err;
  // Reported once: not again when the loop closes.
  testing::internal::CaptureStderr();
  close_loop();
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
}

TEST_F(TaskTest, DebugModeReportsASlowTaskStep) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "asyncio");
  lua_call(L, 1, 0);
  open_time_lib(L);
  lua_setglobal(L, "time");
  testing::internal::CaptureStderr();
  EXPECT_EQ(eval("return asyncio.run(async(function()\n"
                 "  await(asyncio.create_task(async(function() time.sleep(2) end)(), 'blocker'))\n"
                 "end)(), {clock = 'virtual', debug = true})",
                 "@slowstep.lua"),
            "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Executing <Task pending name='blocker' coro=<anonymous() at slowstep.lua:2>> took 2.000 seconds"),
            std::string::npos)
      << err;
}

TEST_F(TaskTest, SlowCallbackDurationIsTheThreshold) {
  open_time_lib(L);
  lua_setglobal(L, "time");
  testing::internal::CaptureStderr();
  EXPECT_EQ(eval("return asyncio.run(async(function() time.sleep(2) end)(),\n"
                 "  {clock = 'virtual', debug = true, slow_callback_duration = 5})"),
            "");
  EXPECT_EQ(eval("return asyncio.run(async(function() time.sleep(2) end)(), {clock = 'virtual'})"), "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("Executing"), std::string::npos) << "below the threshold, or no debug mode: " << err;
}

TEST_F(TaskTest, NamesAndRepr) {
  open_loop();
  Task* t = make_task("async(function() end)()");
  EXPECT_EQ(eval("return t:get_name()"), "Task-" + std::to_string(t->number));
  Task* u = make_task("async(function() end)()");
  EXPECT_EQ(u->number, t->number + 1);
  ASSERT_EQ(eval("fetch = async(function() end)\n"
                 "named = asyncio.create_task(fetch(), 'worker-1')",
                 "@repr.lua"),
            "");
  EXPECT_EQ(eval("return tostring(named)"), "<Task pending name='worker-1' coro=<fetch() at repr.lua:1>>");
}

}  // namespace
