// Unit tests for Future (runtime/core/future.h, future.cpp), through a real
// lua_State with the asyncio module: the state machine, InvalidStateError,
// done callbacks (scheduled, in registration order), remove_done_callback,
// several results, the unretrieved-exception report.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>
#include <vector>

#include "asyncio_lib.h"
#include "coro.h"
#include "future.h"
#include "loop.h"
#include "lua_state_test.h"
#include "runtime.h"

using namespace luasync;

namespace {

class FutureTest : public LuaStateTest {
 protected:

  // The future in global `name`.
  Future* global_future(const char* name) {
    lua_getglobal(L, name);
    Future* f = to_future(L, -1);
    lua_pop(L, 1);
    return f;
  }
};

// ---------------------------------------------------------------- state machine

TEST_F(FutureTest, PendingThenFinished) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future()"), "");
  Future* f = global_future("f");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->state, Future::Pending);
  EXPECT_FALSE(f->done());
  EXPECT_FALSE(f->is_task);
  EXPECT_EQ(f->loop_id, loop->id());
  ASSERT_EQ(eval("f:set_result('a', 'b')"), "");
  EXPECT_EQ(f->state, Future::Finished);
  EXPECT_TRUE(f->done());
  EXPECT_FALSE(f->has_exception);
  EXPECT_EQ(f->nresults, 2);
  EXPECT_EQ(eval("return f:result()"), "a|b");
  EXPECT_EQ(eval("return f:done(), f:cancelled(), f:exception()"), "true|false");
}

TEST_F(FutureTest, PendingThenFailed) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future(); E = {}; f:set_exception(E)"), "");
  Future* f = global_future("f");
  EXPECT_EQ(f->state, Future::Finished);
  EXPECT_TRUE(f->has_exception);
  EXPECT_TRUE(f->log_traceback) << "an exception nobody retrieved yet";
  EXPECT_EQ(eval("return rawequal(f:exception(), E)"), "true");
  EXPECT_FALSE(f->log_traceback) << "exception() retrieves it";
  EXPECT_EQ(eval("local ok, e = pcall(f.result, f); return ok, rawequal(e, E)"), "false|true");
}

TEST_F(FutureTest, PendingThenCancelled) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future()"), "");
  Future* f = global_future("f");
  EXPECT_EQ(eval("return f:cancel('why')"), "true");
  EXPECT_EQ(f->state, Future::Cancelled);
  EXPECT_EQ(eval("return f:cancel('again')"), "false");
  EXPECT_EQ(eval("return f:done(), f:cancelled()"), "true|true");
  EXPECT_EQ(eval("local ok, e = pcall(f.result, f); return ok, tostring(e), asyncio.CancelledError:is(e)"),
            "false|CancelledError: why|true");
  EXPECT_EQ(eval("local ok, e = pcall(f.exception, f); return ok, tostring(e)"), "false|CancelledError: why");
}

TEST_F(FutureTest, ResultOfAPendingFutureRaisesInvalidStateError) {
  open_loop();
  EXPECT_EQ(eval("local f = asyncio.Future(); local ok, e = pcall(f.result, f)\n"
                 "return ok, asyncio.InvalidStateError:is(e), tostring(e)"),
            "false|true|InvalidStateError: result is not ready: the future is still pending");
  EXPECT_EQ(eval("local f = asyncio.Future(); local ok, e = pcall(f.exception, f)\n"
                 "return ok, asyncio.InvalidStateError:is(e)"),
            "false|true");
}

TEST_F(FutureTest, DoubleSetRaisesInvalidStateError) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future(); f:set_result(1)"), "");
  EXPECT_EQ(eval("local ok, e = pcall(f.set_result, f, 2); return ok, asyncio.InvalidStateError:is(e), tostring(e)"),
            "false|true|InvalidStateError: invalid state: the future is already done");
  EXPECT_EQ(eval("local ok, e = pcall(f.set_exception, f, 'x'); return ok, asyncio.InvalidStateError:is(e)"),
            "false|true");
  EXPECT_EQ(eval("return f:result()"), "1") << "unchanged";
  ASSERT_EQ(eval("g = asyncio.Future(); g:cancel()"), "");
  EXPECT_EQ(eval("local ok, e = pcall(g.set_result, g, 2); return ok, tostring(e)"),
            "false|InvalidStateError: invalid state: the future is already cancelled");
}

TEST_F(FutureTest, SetResultFromCpp) {
  open_loop();
  Future* f = push_new_future(L);
  int fidx = lua_gettop(L);
  lua_pushinteger(L, 1);
  lua_pushnil(L);
  lua_pushstring(L, "three");
  future_set_result(L, fidx, fidx + 1, 3);
  EXPECT_EQ(f->nresults, 3);
  lua_settop(L, fidx);
  int n = future_push_result(L, fidx);
  ASSERT_EQ(n, 3);
  EXPECT_EQ(lua_tointeger(L, -3), 1);
  EXPECT_TRUE(lua_isnil(L, -2));
  EXPECT_STREQ(lua_tostring(L, -1), "three");
  lua_settop(L, fidx - 1);
}

TEST_F(FutureTest, ZeroAndOneResults) {
  open_loop();
  EXPECT_EQ(eval("local f = asyncio.Future(); f:set_result(); return select('#', f:result())"), "0");
  EXPECT_EQ(eval("local f = asyncio.Future(); f:set_result(nil); return select('#', f:result())"), "1");
  EXPECT_EQ(eval("local f = asyncio.Future(); f:set_result({}); return type(f:result())"), "table");
}

TEST_F(FutureTest, ManyResults) {
  open_loop();
  EXPECT_EQ(eval("local t = {}; for i = 1, 300 do t[i] = i end\n"
                 "local f = asyncio.Future(); f:set_result(table.unpack(t))\n"
                 "local r = table.pack(f:result()); return r.n, r[1], r[300]"),
            "300|1|300");
}

TEST_F(FutureTest, CancelOfAFutureWithAnUnretrievedExceptionMarksItRetrieved) {
  open_loop();
  ASSERT_EQ(eval("f = asyncio.Future(); f:set_exception('x')"), "");
  Future* f = global_future("f");
  EXPECT_TRUE(f->log_traceback);
  EXPECT_EQ(eval("return f:cancel()"), "false");
  EXPECT_FALSE(f->log_traceback);
}

// ---------------------------------------------------------------- callbacks

TEST_F(FutureTest, CallbacksAreScheduledNotRunInline) {
  open_loop();
  ASSERT_EQ(eval("log = {}; f = asyncio.Future()\n"
                 "f:add_done_callback(function(x) log[#log + 1] = rawequal(x, f) end)\n"
                 "f:set_result(1)"),
            "");
  EXPECT_EQ(eval("return #log"), "0") << "not run inside set_result";
  ASSERT_TRUE(loop->run_once());
  EXPECT_EQ(eval("return #log, log[1]"), "1|true");
  EXPECT_FALSE(loop->run_once());
}

TEST_F(FutureTest, CallbacksRunInRegistrationOrder) {
  open_loop();
  // More than one callback: the first is stored inline, the rest in a vector.
  ASSERT_EQ(eval("log = {}; f = asyncio.Future()\n"
                 "for i = 1, 7 do f:add_done_callback(function() log[#log + 1] = i end) end"),
            "");
  Future* f = global_future("f");
  EXPECT_EQ(f->ncallbacks, 7u);
  ASSERT_EQ(eval("f:set_result()"), "");
  EXPECT_EQ(f->ncallbacks, 0u) << "released once scheduled";
  loop->run_once();
  EXPECT_EQ(eval("return table.concat(log, ',')"), "1,2,3,4,5,6,7");
}

TEST_F(FutureTest, CallbacksOnCancelAndOnException) {
  open_loop();
  ASSERT_EQ(eval("log = {}\n"
                 "a = asyncio.Future(); b = asyncio.Future()\n"
                 "a:add_done_callback(function(x) log[#log + 1] = 'a:' .. tostring(x:cancelled()) end)\n"
                 "b:add_done_callback(function(x) log[#log + 1] = 'b:' .. tostring(x:exception()) end)\n"
                 "a:cancel(); b:set_exception('err')"),
            "");
  EXPECT_EQ(eval("return #log"), "0");
  loop->run_once();
  EXPECT_EQ(eval("return table.concat(log, ',')"), "a:true,b:err");
}

TEST_F(FutureTest, CallbackAddedToADoneFutureIsScheduled) {
  open_loop();
  ASSERT_EQ(eval("ran = false; f = asyncio.Future(); f:set_result(1)\n"
                 "f:add_done_callback(function() ran = true end)"),
            "");
  EXPECT_EQ(eval("return ran"), "false");
  loop->run_once();
  EXPECT_EQ(eval("return ran"), "true");
}

TEST_F(FutureTest, RemoveDoneCallbackCountsEveryRegistration) {
  open_loop();
  ASSERT_EQ(eval("log = {}; f = asyncio.Future()\n"
                 "function cb() log[#log + 1] = 'cb' end\n"
                 "function other() log[#log + 1] = 'other' end\n"
                 "f:add_done_callback(cb); f:add_done_callback(other)\n"
                 "f:add_done_callback(cb); f:add_done_callback(cb)"),
            "");
  EXPECT_EQ(eval("return f:remove_done_callback(cb)"), "3");
  EXPECT_EQ(eval("return f:remove_done_callback(cb)"), "0");
  EXPECT_EQ(eval("return f:remove_done_callback(function() end)"), "0");
  ASSERT_EQ(eval("f:set_result()"), "");
  loop->run_once();
  EXPECT_EQ(eval("return table.concat(log, ',')"), "other");
  EXPECT_EQ(eval("return f:remove_done_callback(other)"), "0");
}

TEST_F(FutureTest, RemovingTheOnlyCallbackThenAddingOthers) {
  // The first callback is stored differently from the next ones.
  open_loop();
  ASSERT_EQ(eval("log = {}; f = asyncio.Future()\n"
                 "function a() log[#log + 1] = 'a' end\n"
                 "function b() log[#log + 1] = 'b' end\n"
                 "function c() log[#log + 1] = 'c' end\n"
                 "f:add_done_callback(a)"),
            "");
  EXPECT_EQ(eval("return f:remove_done_callback(a)"), "1");
  ASSERT_EQ(eval("f:add_done_callback(b); f:add_done_callback(a); f:add_done_callback(c)"), "");
  EXPECT_EQ(eval("return f:remove_done_callback(c)"), "1");
  ASSERT_EQ(eval("f:add_done_callback(c); f:set_result()"), "");
  loop->run_once();
  EXPECT_EQ(eval("return table.concat(log, ',')"), "b,a,c");
}

TEST_F(FutureTest, AwaitingTasksAndLuaCallbacksWakeInRegistrationOrder) {
  EXPECT_EQ(run("local f = asyncio.Future()\n"
                "local log = {}\n"
                "f:add_done_callback(function() log[#log + 1] = 'cb1' end)\n"
                "local t = asyncio.create_task(async(function() await(f); log[#log + 1] = 'task' end)())\n"
                "await(asyncio.sleep(0))\n"
                "f:add_done_callback(function() log[#log + 1] = 'cb2' end)\n"
                "f:set_result()\n"
                "await(asyncio.sleep(0))\n"
                "return table.concat(log, ',')"),
            "cb1,task,cb2");
}

TEST_F(FutureTest, AnErrorInADoneCallbackIsLoggedAndTheLoopGoesOn) {
  open_loop();
  ASSERT_EQ(eval("log = {}; f = asyncio.Future()\n"
                 "f:add_done_callback(function() error('cb failed') end)\n"
                 "f:add_done_callback(function() log[#log + 1] = 'next' end)\n"
                 "f:set_result()",
                 "@donecb.lua"),
            "");
  testing::internal::CaptureStderr();
  loop->run_once();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in callback <function at donecb.lua:2>"), std::string::npos) << err;
  EXPECT_NE(err.find("donecb.lua:2: cb failed"), std::string::npos) << err;
  EXPECT_EQ(eval("return log[1]"), "next");
}

// ---------------------------------------------------------------- reports

TEST_F(FutureTest, UnretrievedExceptionIsReportedAtLoopClose) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run("keep = asyncio.Future()\nkeep:set_exception('nobody looked')"), "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Future exception was never retrieved"), std::string::npos) << err;
  EXPECT_NE(err.find("nobody looked"), std::string::npos) << err;
}

TEST_F(FutureTest, RetrievedExceptionIsNotReported) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run("local f = asyncio.Future()\nf:set_exception('seen')\nassert(f:exception() == 'seen')"), "");
  EXPECT_EQ(run("local f = asyncio.Future()\nf:set_exception('seen')\npcall(f.result, f)"), "");
  EXPECT_EQ(run("local f = asyncio.Future()\nf:set_exception('seen')\npcall(await, f)"), "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
}

TEST_F(FutureTest, ReprShowsTheState) {
  open_loop();
  EXPECT_EQ(eval("return tostring(asyncio.Future())"), "<Future pending>");
  EXPECT_EQ(eval("local f = asyncio.Future(); f:set_result(1, 'x'); return tostring(f)"),
            "<Future finished result=(1, x)>");
  EXPECT_EQ(eval("local f = asyncio.Future(); f:set_exception('e'); f:exception(); return tostring(f)"),
            "<Future finished exception=e>");
  EXPECT_EQ(eval("local f = asyncio.Future(); f:cancel(); return tostring(f)"), "<Future cancelled>");
  std::string long_repr = eval("local f = asyncio.Future(); f:set_result(string.rep('x', 200)); return tostring(f)");
  EXPECT_LE(long_repr.size(), 100u) << long_repr;
}

// ---------------------------------------------------------------- loops

TEST_F(FutureTest, FutureOutsideALoopRaises) {
  EXPECT_EQ(eval("return pcall(asyncio.Future)"),
            "false|no running event loop (create futures inside asyncio.run)");
}

TEST_F(FutureTest, AFutureOfAClosedLoopCannotTakeCallbacks) {
  ASSERT_EQ(run("old = asyncio.Future()"), "");
  EXPECT_NE(run("old:add_done_callback(print)").find("not running"), std::string::npos);
  EXPECT_NE(run("await(old)").find("another event loop"), std::string::npos);
}

TEST_F(FutureTest, GetLoop) {
  EXPECT_EQ(run("local f = asyncio.Future(); return rawequal(f:get_loop(), asyncio.get_running_loop())"), "true");
  ASSERT_EQ(run("old = asyncio.Future()"), "");
  EXPECT_EQ(eval("return old:get_loop()"), "") << "no loop once it is closed";
}

TEST_F(FutureTest, IsFuture) {
  open_loop();
  EXPECT_EQ(eval("return asyncio.isfuture(asyncio.Future()), asyncio.isfuture({}), asyncio.isfuture(nil)"),
            "true|false|false");
  // A userdata of another kind is not a future.
  EXPECT_EQ(eval("return asyncio.isfuture(io.stdout)"), "false");
  EXPECT_EQ(eval("return asyncio.isfuture(asyncio.get_running_loop())"), "false");
}

TEST_F(FutureTest, MethodsRejectOtherSelves) {
  open_loop();
  EXPECT_NE(eval("local f = asyncio.Future(); return f.result(io.stdout)").find("Future or Task expected"),
            std::string::npos);
  EXPECT_NE(eval("local f = asyncio.Future(); return f.set_result({}, 1)").find("Future or Task expected"),
            std::string::npos);
}

}  // namespace
