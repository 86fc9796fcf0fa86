// Unit tests for runtime/io/marshal.cpp: values copied from one Lua state to
// another (what to_thread does with arguments and results).
#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

#include "marshal.h"

using namespace luasync;

namespace {

class MarshalTest : public ::testing::Test {
 protected:
  lua_State* A = nullptr;  // the sender
  lua_State* B = nullptr;  // the receiver

  void SetUp() override {
    A = luaL_newstate();
    B = luaL_newstate();
    luaL_openlibs(A);
    luaL_openlibs(B);
  }
  void TearDown() override {
    lua_close(A);
    lua_close(B);
  }

  static int encode_top(lua_State* L) {
    // (blob, n values...) -> encodes the values
    auto* b = static_cast<Blob*>(lua_touserdata(L, 1));
    marshal_encode(L, b, 2, lua_gettop(L) - 1, "value", 1, nullptr);
    return 0;
  }

  // Evaluates `return <exprs>` in A, copies the values to B and returns
  // the error message (empty on success); B then holds the values in its
  // global table `v` (v.n = how many).
  std::string copy(const std::string& exprs) {
    int top = lua_gettop(A);
    Blob* b = push_blob(A);  // anchored on A's stack until the end
    lua_pushcfunction(A, encode_top);
    lua_pushlightuserdata(A, b);
    EXPECT_EQ(luaL_loadstring(A, ("return " + exprs).c_str()), LUA_OK) << lua_tostring(A, -1);
    lua_call(A, 0, LUA_MULTRET);
    int n = lua_gettop(A) - (top + 3);
    if (lua_pcall(A, n + 1, 0, 0) != LUA_OK) {
      std::string err = lua_tostring(A, -1);
      lua_settop(A, top);
      return err;
    }
    int before = lua_gettop(B);
    int got = marshal_decode(B, b->data, b->size);
    EXPECT_EQ(got, n);
    lua_createtable(B, got, 1);
    lua_insert(B, before + 1);
    for (int i = got; i >= 1; i--) lua_rawseti(B, before + 1, i);
    lua_pushinteger(B, got);
    lua_setfield(B, -2, "n");
    lua_setglobal(B, "v");
    lua_settop(A, top);
    return "";
  }

  // Runs `return <expr>` in B; its tostring.
  std::string in_b(const std::string& expr) {
    EXPECT_EQ(luaL_dostring(B, ("return tostring(" + expr + ")").c_str()), LUA_OK) << lua_tostring(B, -1);
    std::string s = lua_tostring(B, -1);
    lua_pop(B, 1);
    return s;
  }
};

TEST_F(MarshalTest, Scalars) {
  EXPECT_EQ(copy("nil, false, true, 42, -0.5, 'text', 2^53, math.maxinteger, 1/0"), "");
  EXPECT_EQ(in_b("v.n"), "9");
  EXPECT_EQ(in_b("v[1]"), "nil");
  EXPECT_EQ(in_b("v[2]"), "false");
  EXPECT_EQ(in_b("v[3]"), "true");
  EXPECT_EQ(in_b("math.type(v[4]) .. v[4]"), "integer42");
  EXPECT_EQ(in_b("math.type(v[5]) .. v[5]"), "float-0.5");
  EXPECT_EQ(in_b("v[6]"), "text");
  EXPECT_EQ(in_b("math.type(v[7])"), "float");
  EXPECT_EQ(in_b("v[8] == math.maxinteger"), "true");
  EXPECT_EQ(in_b("v[9]"), "inf");
}

TEST_F(MarshalTest, StringsWithZerosAndLargeOnes) {
  EXPECT_EQ(copy("'a\\0b', string.rep('x', 1000000)"), "");
  EXPECT_EQ(in_b("#v[1] .. (v[1] == 'a\\0b' and 'same' or 'differs')"), "3same");
  EXPECT_EQ(in_b("#v[2]"), "1000000");
}

TEST_F(MarshalTest, NestedTablesAndKeys) {
  EXPECT_EQ(copy("{1, 2, {3, {4}}, name = 'x', [true] = 'yes', [2.5] = 'f', [{}] = 'tkey'}"), "");
  EXPECT_EQ(in_b("#v[1]"), "3");
  EXPECT_EQ(in_b("v[1][3][2][1]"), "4");
  EXPECT_EQ(in_b("v[1].name"), "x");
  EXPECT_EQ(in_b("v[1][true]"), "yes");
  EXPECT_EQ(in_b("v[1][2.5]"), "f");
  EXPECT_EQ(in_b("(function() for k, x in pairs(v[1]) do if type(k) == 'table' then return x end end end)()"),
            "tkey");
}

TEST_F(MarshalTest, CyclesAndSharedTablesKeepTheirShape) {
  EXPECT_EQ(copy("(function() local t = {}; t.self = t; local s = {}; return t, {a = s, b = s}, s end)()"), "");
  EXPECT_EQ(in_b("v[1].self == v[1]"), "true");
  EXPECT_EQ(in_b("v[2].a == v[2].b"), "true");
  EXPECT_EQ(in_b("v[3] == v[2].a"), "true");  // shared across values too
}

TEST_F(MarshalTest, WhatCannotBeCopiedIsNamedWithItsPlace) {
  EXPECT_EQ(copy("print"), "value #1 is a function: only nil, booleans, numbers, strings and tables of those can "
                           "be copied to a thread");
  EXPECT_NE(copy("1, {handler = {print}}").find("value #2: field .handler[1] is a function"), std::string::npos);
  EXPECT_NE(copy("{['a b'] = coroutine.create(print)}").find("field [\"a b\"] is a thread"), std::string::npos);
  EXPECT_NE(copy("{x = setmetatable({}, {})}").find("field .x is a table with a metatable"), std::string::npos);
  EXPECT_NE(copy("{[print] = 1}").find("is a function used as a key"), std::string::npos);
  EXPECT_NE(copy("io.stdout").find("value #1 is a userdata"), std::string::npos);
}

TEST_F(MarshalTest, TooDeepIsAnErrorNotACrash) {
  std::string err = copy("(function() local t = {}; for i = 1, 1000 do t = {t} end; return t end)()");
  EXPECT_NE(err.find("nested more than 200 deep"), std::string::npos) << err;
  EXPECT_EQ(copy("(function() local t = {}; for i = 1, 150 do t = {t} end; return t end)()"), "");
}

TEST_F(MarshalTest, MessageEncodesOneString) {
  Blob b;
  ASSERT_TRUE(marshal_message(&b, "boom"));
  EXPECT_EQ(marshal_decode(B, b.data, b.size), 1);
  EXPECT_STREQ(lua_tostring(B, -1), "boom");
  lua_pop(B, 1);
  blob_free(&b);
}

TEST_F(MarshalTest, MalformedBuffersRaise) {
  Blob b;
  ASSERT_TRUE(marshal_message(&b, "boom"));
  // Cut short: the string's bytes are missing.
  lua_pushcfunction(B, [](lua_State* L) {
    auto* bb = static_cast<Blob*>(lua_touserdata(L, 1));
    return marshal_decode(L, bb->data, bb->size - 2);
  });
  lua_pushlightuserdata(B, &b);
  EXPECT_NE(lua_pcall(B, 1, LUA_MULTRET, 0), LUA_OK);
  EXPECT_NE(std::string(lua_tostring(B, -1)).find("malformed"), std::string::npos);
  lua_pop(B, 1);
  blob_free(&b);
}

}  // namespace
