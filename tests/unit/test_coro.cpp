// Unit tests for coroutine functions and objects (runtime/core/coro.h, coro.cpp):
// async, await (inline, once), iscoroutine / iscoroutinefunction, the
// object's states, and the "never awaited" warning.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

#include "asyncio_lib.h"
#include "coro.h"
#include "loop.h"
#include "lua_state_test.h"
#include "runtime.h"

using namespace luasync;

namespace {

class CoroTest : public LuaStateTest {
 protected:
  void SetUp() override {
    LuaStateTest::SetUp();
    // coro_state(c): "created", "running" or "done", read from C++.
    lua_pushcfunction(L, [](lua_State* S) -> int {
      Coro* c = to_coro(S, 1);
      if (!c) return luaL_error(S, "not a coroutine object");
      lua_pushstring(S, c->state == Coro::Created ? "created" : c->state == Coro::Running ? "running" : "done");
      return 1;
    });
    lua_setglobal(L, "coro_state");
  }

  // Makes the "never awaited" finalizers run now.
  void collect() {
    coro_flush_recent(L);
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCCOLLECT);
  }

  static int count(const std::string& hay, const std::string& needle) {
    int n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) n++;
    return n;
  }
};

// ---------------------------------------------------------------- objects

TEST_F(CoroTest, CallingACoroutineFunctionRunsNothing) {
  EXPECT_EQ(eval("ran = false\n"
                 "local f = async(function() ran = true end)\n"
                 "c = f()\n"
                 "return ran, asyncio.iscoroutine(c), coro_state(c)"),
            "false|true|created");
  EXPECT_EQ(eval("c:close(); return ran, coro_state(c)"), "false|done") << "close() never runs it";
}

TEST_F(CoroTest, StatesCreatedRunningDone) {
  EXPECT_EQ(run("local c\n"
                "local f = async(function() return coro_state(c) end)\n"
                "c = f()\n"
                "local before = coro_state(c)\n"
                "local during = await(c)\n"
                "return before, during, coro_state(c)"),
            "created|running|done");
}

TEST_F(CoroTest, ArgumentsAreBoundAtCallTime) {
  EXPECT_EQ(run("local x = 1\n"
                "local f = async(function(a, b, c) return a, b, c end)\n"
                "local c = f(x, nil, 'z')\n"
                "x = 2\n"
                "return await(c)"),
            "1|nil|z");
}

TEST_F(CoroTest, AwaitingACoroutineObjectRunsItInlineInTheSameThread) {
  EXPECT_EQ(run("local outer = coroutine.running()\n"
                "local inner = await(async(function() return coroutine.running() end)())\n"
                "return rawequal(outer, inner)"),
            "true");
}

TEST_F(CoroTest, AwaitingTwiceRaises) {
  std::string r = run("local f = async(function() return 1 end)\n"
                      "local c = f()\n"
                      "await(c)\n"
                      "local ok, e = pcall(await, c)\n"
                      "return ok, e",
                      "@twice.lua");
  EXPECT_EQ(r.substr(0, 6), "false|") << r;
  EXPECT_NE(r.find("cannot await coroutine f() at twice.lua:2: it was already awaited"), std::string::npos) << r;
}

TEST_F(CoroTest, AwaitingACoroutineThatFailedRaisesOnTheSecondAwaitToo) {
  std::string r = run("local c = async(function() error('once', 0) end)()\n"
                      "local ok1, e1 = pcall(await, c)\n"
                      "local ok2, e2 = pcall(await, c)\n"
                      "return ok1, e1, ok2, e2");
  EXPECT_EQ(r.substr(0, 17), "false|once|false|") << r;
  EXPECT_NE(r.find("already awaited"), std::string::npos) << r;
}

TEST_F(CoroTest, IsCoroutineAndIsCoroutineFunction) {
  EXPECT_EQ(eval("local f = async(function() end)\n"
                 "local c = f()\n"
                 "local s = asyncio.sleep(1)\n"
                 "local r = {asyncio.iscoroutinefunction(f), asyncio.iscoroutinefunction(asyncio.sleep),\n"
                 "  asyncio.iscoroutinefunction(print), asyncio.iscoroutinefunction(function() end),\n"
                 "  asyncio.iscoroutinefunction(c), asyncio.iscoroutinefunction(nil),\n"
                 "  asyncio.iscoroutine(c), asyncio.iscoroutine(s), asyncio.iscoroutine(f),\n"
                 "  asyncio.iscoroutine({}), asyncio.iscoroutine(coroutine.create(print)), asyncio.iscoroutine()}\n"
                 "c:close(); s:close()\n"
                 "for i = 1, 12 do r[i] = tostring(r[i]) end\n"
                 "return table.concat(r, ',')"),
            "true,true,false,false,false,false,true,true,false,false,false,false");
}

TEST_F(CoroTest, CombinatorsThatAreCoroutineFunctions) {
  // As in Python: sleep, wait_for and wait are coroutine functions.
  EXPECT_EQ(eval("return asyncio.iscoroutinefunction(asyncio.wait_for), asyncio.iscoroutinefunction(asyncio.wait)"),
            "true|true");
}

TEST_F(CoroTest, AsyncRejectsNonFunctionsAndCoroutineFunctions) {
  EXPECT_NE(eval("async(42)").find("bad argument #1 to 'async' (function expected, got number)"), std::string::npos);
  EXPECT_NE(eval("async(async(function() end))").find("already a coroutine function"), std::string::npos);
  EXPECT_NE(eval("async(asyncio.sleep)").find("already a coroutine function"), std::string::npos);
}

TEST_F(CoroTest, ReprOfACoroutineObject) {
  ASSERT_EQ(eval("fetch = async(function(url)\n"
                 "  return url\n"
                 "end)\n"
                 "c = fetch('x')",
                 "@repr.lua"),
            "");
  EXPECT_EQ(eval("return tostring(c)"), "<coroutine fetch() at repr.lua:1 (created)>");
  EXPECT_EQ(eval("c:close(); return tostring(c)"), "<coroutine fetch() at repr.lua:1 (done)>");
  EXPECT_EQ(eval("local s = asyncio.sleep(1); local r = tostring(s); s:close(); return r"),
            "<coroutine sleep() (created)>");
}

TEST_F(CoroTest, AwaitOutsideALoopRaises) {
  EXPECT_EQ(eval("local c = async(function() end)()\n"
                 "local ok, e = pcall(await, c)\n"
                 "c:close()\n"
                 "return ok, e"),
            "false|await called outside a running event loop (start one with asyncio.run(main()))");
}

TEST_F(CoroTest, AwaitInACallbackRaises) {
  std::string r = run("local f = asyncio.Future()\n"
                      "asyncio.get_running_loop():call_soon(function()\n"
                      "  local c = async(function() end)()\n"
                      "  local ok, e = pcall(await, c)\n"
                      "  c:close()\n"
                      "  f:set_result(e)\n"
                      "end)\n"
                      "return await(f)");
  EXPECT_NE(r.find("await called outside an async function"), std::string::npos) << r;
}

TEST_F(CoroTest, AwaitingAnAwaitableObjectCallsAwaitOnce) {
  EXPECT_EQ(run("local n = 0\n"
                "local obj = setmetatable({}, {__await = function(self)\n"
                "  n = n + 1\n"
                "  return asyncio.sleep(2, 'slept')\n"
                "end})\n"
                "return await(obj), n, asyncio.get_running_loop():time()"),
            "slept|1|2.0");
}

// ---------------------------------------------------------------- never awaited

TEST_F(CoroTest, NeverAwaitedWarnsOncePerPlace) {
  ASSERT_EQ(eval("local fetch = async(function() end)\n"
                 "for i = 1, 5 do fetch() end\n"
                 "fetch()\n",
                 "@never_once.lua"),
            "");
  testing::internal::CaptureStderr();
  collect();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(err, "never_once.lua:2: RuntimeWarning: coroutine 'fetch' was never awaited"), 1) << err;
  EXPECT_EQ(count(err, "never_once.lua:3: RuntimeWarning: coroutine 'fetch' was never awaited"), 1) << err;
  EXPECT_EQ(count(err, "never awaited"), 2) << err;
}

TEST_F(CoroTest, AwaitedScheduledOrClosedObjectsDoNotWarn) {
  ASSERT_EQ(run("local f = async(function() end)\n"
                "await(f())\n"
                "await(asyncio.create_task(f()))\n"
                "local c = f(); c:close()",
                "@quiet.lua"),
            "");
  testing::internal::CaptureStderr();
  collect();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("never awaited"), std::string::npos) << err;
}

TEST_F(CoroTest, NeverAwaitedInsideALoopIsReportedByTheTimeRunReturns) {
  testing::internal::CaptureStderr();
  ASSERT_EQ(run("local work = async(function() end)\n"
                "work()\n"
                "await(asyncio.sleep(1))",
                "@in_loop.lua"),
            "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("in_loop.lua:3: RuntimeWarning: coroutine 'work' was never awaited"), std::string::npos) << err;
}

TEST_F(CoroTest, AnObjectStillReferencedDoesNotWarn) {
  ASSERT_EQ(eval("keep = async(function() end)()", "@kept.lua"), "");
  testing::internal::CaptureStderr();
  collect();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("never awaited"), std::string::npos) << err;
  ASSERT_EQ(eval("keep:close()"), "");
}

// ---------------------------------------------------------------- native bodies

TEST_F(CoroTest, NativeCoroutineBodiesAwaitThroughLAwait) {
  // push_native_coro: a C body that awaits a future passed as its argument.
  lua_pushcfunction(L, [](lua_State* S) -> int {
    // make_native(fut): a coroutine object whose C body awaits fut, then
    // returns "native:" .. result.
    lua_settop(S, 1);
    push_native_coro(
        S,
        [](lua_State* T) -> int {
          lua_pushcfunction(T, l_await);
          lua_pushvalue(T, 1);
          auto k = [](lua_State* U, int, lua_KContext) -> int {
            lua_pushfstring(U, "native:%s", lua_tostring(U, -1));
            return 1;
          };
          lua_callk(T, 1, 1, 0, k);
          return k(T, LUA_OK, 0);
        },
        "native_body", 1);
    return 1;
  });
  lua_setglobal(L, "make_native");
  EXPECT_EQ(run("local f = asyncio.Future()\n"
                "asyncio.get_running_loop():call_later(3, function() f:set_result('x') end)\n"
                "local c = make_native(f)\n"
                "local is = asyncio.iscoroutine(c)\n"
                "return is, await(c), asyncio.get_running_loop():time(), tostring(c)"),
            "true|native:x|3.0|<coroutine native_body() (done)>");
}

}  // namespace
