// Unit tests for tracebacks (runtime/core/traceback.h, traceback.cpp): frames with
// file:line and coroutine names, across awaits and tasks, for errors that
// escape asyncio.run, failed tasks and callbacks.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

#include "asyncio_lib.h"
#include "coro.h"
#include "loop.h"
#include "lua_state_test.h"
#include "runtime.h"
#include "traceback.h"

using namespace luasync;

namespace {

class TracebackTest : public LuaStateTest {
 protected:
  void SetUp() override {
    LuaStateTest::SetUp();
    // frames(): the frames of the caller, as stack_frames formats them.
    lua_pushcfunction(L, [](lua_State* S) -> int {
      std::string f = stack_frames(S, 1);
      lua_pushlstring(S, f.data(), f.size());
      return 1;
    });
    lua_setglobal(L, "frames");
  }

  // Runs a chunk the way the interpreter does (the traceback handler as
  // message handler); returns the formatted traceback of its error, or "".
  std::string traceback_of(const std::string& code, const char* name) {
    int top = lua_gettop(L);
    push_traceback_handler(L);
    if (luaL_loadbuffer(L, code.data(), code.size(), name) != LUA_OK) {
      std::string e = lua_tostring(L, -1);
      lua_settop(L, top);
      return "load error: " + e;
    }
    std::string out;
    if (lua_pcall(L, 0, 0, top + 1) != LUA_OK) out = traceback_of_last_error(L, -1);
    lua_settop(L, top);
    return out;
  }

  static size_t pos(const std::string& hay, const std::string& needle) { return hay.find(needle); }
};

const char* kChain =
    "local inner = async(function()\n"                        // 1
    "  error('boom')\n"                                       // 2
    "end)\n"                                                  // 3
    "local middle = async(function()\n"                       // 4
    "  return await(inner())\n"                               // 5
    "end)\n"                                                  // 6
    "local worker = async(function()\n"                       // 7
    "  await(asyncio.sleep(1))\n"                             // 8
    "  return await(middle())\n"                              // 9
    "end)\n"                                                  // 10
    "local main = async(function()\n"                         // 11
    "  return await(asyncio.create_task(worker(), 'w'))\n"    // 12
    "end)\n"                                                  // 13
    "asyncio.run(main(), {clock = 'virtual'})\n";             // 14

TEST_F(TracebackTest, SpansTheAwaitChainAcrossTasksWithFileAndLine) {
  std::string tb = traceback_of(kChain, "@chain.lua");
  ASSERT_FALSE(tb.empty());
  EXPECT_EQ(tb.rfind("chain.lua:2: boom\nstack traceback:\n", 0), 0u) << tb;
  size_t inner = pos(tb, "\tchain.lua:2: in coroutine 'inner'");
  size_t middle = pos(tb, "\tchain.lua:5: in coroutine 'middle'");
  size_t worker = pos(tb, "\tchain.lua:9: in coroutine 'worker'");
  size_t awaited = pos(tb, "(task 'w' was awaited by:)");
  size_t main = pos(tb, "\tchain.lua:12: in coroutine 'main'");
  size_t main_awaited = pos(tb, "(the main task was awaited by:)");
  size_t chunk = pos(tb, "\tchain.lua:14: in main chunk");
  ASSERT_NE(inner, std::string::npos) << tb;
  ASSERT_NE(middle, std::string::npos) << tb;
  ASSERT_NE(worker, std::string::npos) << tb;
  ASSERT_NE(awaited, std::string::npos) << tb;
  ASSERT_NE(main, std::string::npos) << tb;
  ASSERT_NE(main_awaited, std::string::npos) << tb;
  ASSERT_NE(chunk, std::string::npos) << tb;
  // Most recent call first.
  EXPECT_LT(inner, middle);
  EXPECT_LT(middle, worker);
  EXPECT_LT(worker, awaited);
  EXPECT_LT(awaited, main);
  EXPECT_LT(main, main_awaited);
  EXPECT_LT(main_awaited, chunk);
}

TEST_F(TracebackTest, EveryFrameHasFileAndLine) {
  std::string tb = traceback_of(kChain, "@chain2.lua");
  size_t start = tb.find("stack traceback:\n");
  ASSERT_NE(start, std::string::npos) << tb;
  std::string frames = tb.substr(start + 17);
  size_t p = 0;
  int n = 0;
  while (p < frames.size()) {
    size_t e = frames.find('\n', p);
    std::string line = frames.substr(p, e == std::string::npos ? std::string::npos : e - p);
    p = e == std::string::npos ? frames.size() : e + 1;
    if (line.find("was awaited by:") != std::string::npos) continue;
    n++;
    EXPECT_EQ(line.rfind("\tchain2.lua:", 0), 0u) << "frame without file:line: '" << line << "'\n" << tb;
  }
  EXPECT_GE(n, 5);
}

TEST_F(TracebackTest, TheErrorValueIsNotWrapped) {
  ASSERT_EQ(eval("E = setmetatable({}, {__tostring = function() return 'custom error' end})"), "");
  int top = lua_gettop(L);
  push_traceback_handler(L);
  std::string code =
      "local f = async(function() await(asyncio.sleep(1)); error(E) end)\n"
      "asyncio.run(async(function() return await(asyncio.create_task(f())) end)(), {clock = 'virtual'})\n";
  ASSERT_EQ(luaL_loadbuffer(L, code.data(), code.size(), "@unwrapped.lua"), LUA_OK);
  ASSERT_NE(lua_pcall(L, 0, 0, top + 1), LUA_OK);
  lua_getglobal(L, "E");
  EXPECT_TRUE(lua_rawequal(L, -1, -2)) << "the very table";
  lua_pop(L, 1);
  std::string tb = traceback_of_last_error(L, -1);
  EXPECT_EQ(tb.rfind("custom error\nstack traceback:\n", 0), 0u) << tb;
  EXPECT_NE(tb.find("unwrapped.lua:1: in coroutine 'f'"), std::string::npos) << tb;
  lua_settop(L, top);
}

TEST_F(TracebackTest, StackFramesNamesTheCoroutines) {
  std::string r = eval(
      "local leaf = async(function() return frames() end)\n"
      "local branch = async(function() return await(leaf()) end)\n"
      "return asyncio.run(branch(), {clock = 'virtual'})",
      "@frames.lua");
  EXPECT_NE(r.find("\tframes.lua:1: in coroutine 'leaf'"), std::string::npos) << r;
  EXPECT_NE(r.find("\tframes.lua:2: in coroutine 'branch'"), std::string::npos) << r;
  EXPECT_LT(r.find("'leaf'"), r.find("'branch'")) << r;
}

TEST_F(TracebackTest, StackFramesOfPlainFunctions) {
  std::string r = eval(
      "local function helper() local f = frames(); return f end\n"
      "function global_fn() local f = helper(); return f end\n"
      "local f = global_fn(); return f",
      "@plain.lua");
  EXPECT_NE(r.find("\tplain.lua:1: in "), std::string::npos) << r;
  EXPECT_NE(r.find("\tplain.lua:2: in global 'global_fn'"), std::string::npos) << r;
  EXPECT_NE(r.find("\tplain.lua:1: in upvalue 'helper'"), std::string::npos) << r;
  EXPECT_NE(r.find("\tplain.lua:3: in main chunk"), std::string::npos) << r;
  EXPECT_EQ(r.find("[C]"), std::string::npos) << "C frames are left out: " << r;
}

TEST_F(TracebackTest, FormatTraceback) {
  lua_pushstring(L, "msg");
  EXPECT_EQ(format_traceback(L, -1, ""), "msg");
  EXPECT_EQ(format_traceback(L, -1, "\ta.lua:1: in main chunk"), "msg\nstack traceback:\n\ta.lua:1: in main chunk");
  lua_pop(L, 1);
  ASSERT_EQ(eval("bad = setmetatable({}, {__tostring = function() error('nested') end})"), "");
  lua_getglobal(L, "bad");
  EXPECT_NE(format_traceback(L, -1, "").find("__tostring failed"), std::string::npos);
  lua_pop(L, 1);
}

TEST_F(TracebackTest, FramesOfAnotherErrorValueAreNotReused) {
  // traceback_frames_of gives frames only for the error the handler last saw.
  std::string tb = traceback_of("error('first')", "@first.lua");
  EXPECT_NE(tb.find("first.lua:1"), std::string::npos);
  lua_pushstring(L, "unrelated");
  EXPECT_EQ(traceback_frames_of(L, -1), "");
  lua_pop(L, 1);
}

TEST_F(TracebackTest, UnretrievedTaskExceptionReportShowsWhereItFailed) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(eval("local deep = async(function() error('lost here') end)\n"
                 "local job = async(function() await(asyncio.sleep(1)); return await(deep()) end)\n"
                 "asyncio.run(async(function()\n"
                 "  asyncio.create_task(job(), 'job')\n"
                 "  await(asyncio.sleep(2))\n"
                 "end)(), {clock = 'virtual'})",
                 "@lost.lua"),
            "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Task exception was never retrieved"), std::string::npos) << err;
  EXPECT_NE(err.find("lost.lua:1: lost here"), std::string::npos) << err;
  EXPECT_NE(err.find("\tlost.lua:1: in coroutine 'deep'"), std::string::npos) << err;
  EXPECT_NE(err.find("\tlost.lua:2: in coroutine 'job'"), std::string::npos) << err;
}

TEST_F(TracebackTest, CallbackErrorReportShowsTheCallbackFrame) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(eval("local function fails() error('in callback') end\n"
                 "asyncio.run(async(function()\n"
                 "  asyncio.get_running_loop():call_soon(function() fails() end)\n"
                 "  await(asyncio.sleep(0))\n"
                 "end)(), {clock = 'virtual'})",
                 "@cbtb.lua"),
            "");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in callback <function at cbtb.lua:3>"), std::string::npos) << err;
  EXPECT_NE(err.find("cbtb.lua:1: in callback"), std::string::npos) << err;
  EXPECT_NE(err.find("\tcbtb.lua:1: in "), std::string::npos) << err;
  EXPECT_NE(err.find("\tcbtb.lua:3: in function <cbtb.lua:3>"), std::string::npos) << err;
}

TEST_F(TracebackTest, ACaughtAndRethrownTaskErrorKeepsTheOriginalFrames) {
  std::string tb = traceback_of(
      "local bad = async(function() await(asyncio.sleep(1)); error('original') end)\n"
      "asyncio.run(async(function()\n"
      "  local t = asyncio.create_task(bad(), 'bad-task')\n"
      "  local ok, e = pcall(await, t)\n"
      "  error(e, 0)\n"
      "end)(), {clock = 'virtual'})\n",
      "@rethrow.lua");
  EXPECT_NE(tb.find("rethrow.lua:1: original"), std::string::npos) << tb;
  EXPECT_NE(tb.find("\trethrow.lua:1: in coroutine 'bad'"), std::string::npos) << "where it was raised: " << tb;
  EXPECT_NE(tb.find("\trethrow.lua:5: in "), std::string::npos) << "where it was re-raised: " << tb;
}

}  // namespace
