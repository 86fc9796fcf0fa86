// lua_state_test.h: the fixture shared by the unit tests that drive the
// runtime through a real Lua state: a state with asyncio (and the globals
// async, await and time), an optional loop (virtual clock unless asked
// otherwise), and helpers that run Lua code and return its results as text.
#pragma once

#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

#include "asyncio_lib.h"
#include "coro.h"
#include "loop.h"
#include "loop_lib.h"
#include "runtime.h"

namespace luasync {

class LuaStateTest : public ::testing::Test {
 protected:
  lua_State* L = nullptr;
  Loop* loop = nullptr;
  int loop_idx = 0;

  void SetUp() override {
    L = luaL_newstate();
    ASSERT_NE(L, nullptr);
    luaL_openlibs(L);
    open_luasync_globals(L);
  }

  void TearDown() override {
    if (loop) close_loop();
    coro_flush_recent(L);
    lua_close(L);
  }

  // Opens a loop (made the running one) and keeps its userdata on the stack.
  Loop* open_loop(bool virtual_clock = true, double grace = 0.05, bool debug = false) {
    Loop::Options o;
    o.virtual_clock = virtual_clock;
    o.autojump_grace = grace;
    o.debug = debug;
    loop = loop_open(L, o);
    loop_idx = lua_gettop(L);
    return loop;
  }

  void close_loop() {
    loop_shutdown(L, loop);
    lua_settop(L, loop_idx - 1);
    loop = nullptr;
  }

  // Runs a chunk: its results joined by "|", or "error: <message>".
  std::string eval(const std::string& code, const char* name = "=unit") {
    int top = lua_gettop(L);
    if (luaL_loadbuffer(L, code.data(), code.size(), name) != LUA_OK) {
      std::string e = lua_tostring(L, -1);
      lua_settop(L, top);
      return "error: " + e;
    }
    std::string out;
    if (lua_pcall(L, 0, LUA_MULTRET, 0) != LUA_OK) {
      out = "error: " + safe_tostring(L, -1);
    } else {
      for (int i = top + 1; i <= lua_gettop(L); i++) out += (i > top + 1 ? "|" : "") + safe_tostring(L, i);
    }
    lua_settop(L, top);
    return out;
  }

  // Runs `body` as the main coroutine of asyncio.run on the virtual clock.
  std::string run(const std::string& body, const char* name = "=unit") {
    return eval("return asyncio.run(async(function()\n" + body + "\nend)(), {clock = 'virtual'})", name);
  }
};

}  // namespace luasync
