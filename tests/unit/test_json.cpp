// Unit tests for runtime/io/json.cpp: encoding Lua values and decoding with
// jansson, through the C++ entry points and the asyncio._json module.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <cstring>
#include <string>

#include "json.h"

using namespace luasync;

namespace {

class JsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "json", luaopen_asyncio__json, 1);
    lua_pop(L, 1);
  }
  void TearDown() override { lua_close(L); }

  // Runs `return <expr>` and returns json.encode of its value.
  std::string encode(const std::string& expr) {
    EXPECT_EQ(luaL_dostring(L, ("return " + expr).c_str()), LUA_OK) << lua_tostring(L, -1);
    std::string out;
    json_encode(L, -1, out);
    lua_pop(L, 1);
    return out;
  }

  // Encodes, expecting a Lua error; returns its message.
  std::string encode_error(const std::string& expr) {
    std::string code = "local v = " + expr + "; local ok, e = pcall(json.encode, v); assert(not ok); return e";
    EXPECT_EQ(luaL_dostring(L, code.c_str()), LUA_OK) << lua_tostring(L, -1);
    std::string msg = lua_tostring(L, -1);
    lua_pop(L, 1);
    return msg;
  }

  lua_State* L = nullptr;
};

TEST_F(JsonTest, EncodesScalars) {
  EXPECT_EQ(encode("nil"), "null");
  EXPECT_EQ(encode("json.null"), "null");
  EXPECT_EQ(encode("true"), "true");
  EXPECT_EQ(encode("false"), "false");
  EXPECT_EQ(encode("42"), "42");
  EXPECT_EQ(encode("-7"), "-7");
  EXPECT_EQ(encode("math.maxinteger"), "9223372036854775807");
  EXPECT_EQ(encode("1.5"), "1.5");
  EXPECT_EQ(encode("1.0"), "1.0") << "a float stays a float";
  EXPECT_EQ(encode("0.1"), "0.1") << "shortest round-trip text";
  EXPECT_EQ(encode("1/3"), "0.33333333333333331");
  EXPECT_EQ(encode("1e300"), "1e+300");
}

TEST_F(JsonTest, EncodesStringsWithEscapes) {
  EXPECT_EQ(encode("'plain'"), "\"plain\"");
  EXPECT_EQ(encode("'a\"b\\\\c'"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(encode("'line\\nnext\\ttab\\r'"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(encode("'\\0\\1\\31'"), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(encode("'caf\\u{e9} \\u{1F600}'"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"") << "UTF-8 passes through";
}

TEST_F(JsonTest, EncodesTables) {
  EXPECT_EQ(encode("{}"), "{}");
  EXPECT_EQ(encode("{1, 2, 3}"), "[1,2,3]");
  EXPECT_EQ(encode("{b = 2, a = 1, c = {x = true}}"), "{\"a\":1,\"b\":2,\"c\":{\"x\":true}}") << "sorted keys";
  EXPECT_EQ(encode("{[1] = 'a', [3] = 'c'}"), "{\"1\":\"a\",\"3\":\"c\"}") << "a sparse array is an object";
  EXPECT_EQ(encode("{1, 2, n = 2}"), "{\"1\":1,\"2\":2,\"n\":2}");
  EXPECT_EQ(encode("setmetatable({}, {__jsontype = 'array'})"), "[]");
  EXPECT_EQ(encode("setmetatable({1, 2}, {__jsontype = 'object'})"), "{\"1\":1,\"2\":2}");
  EXPECT_EQ(encode("{1, json.null, 3}"), "[1,null,3]");
}

TEST_F(JsonTest, RefusesWhatJsonCannotHold) {
  EXPECT_NE(encode_error("print").find("value of type function"), std::string::npos);
  EXPECT_NE(encode_error("0/0").find("nan is not a JSON number"), std::string::npos);
  EXPECT_NE(encode_error("math.huge").find("inf is not a JSON number"), std::string::npos);
  EXPECT_NE(encode_error("'\\xff\\xfe'").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(encode_error("'\\xed\\xa0\\x80'").find("not valid UTF-8"), std::string::npos) << "a surrogate";
  EXPECT_NE(encode_error("{[1.5] = 1}").find("table key of type float"), std::string::npos);
  EXPECT_NE(encode_error("(function() local t = {} t.self = t return t end)()").find("nested too deeply"),
            std::string::npos);
}

TEST_F(JsonTest, DecodesDocuments) {
  const char* code = R"(
    local v = json.decode('{"a": [1, 2.5, "x", true, false, null], "b": {"c": -3}, "e": ""}')
    assert(math.type(v.a[1]) == "integer" and v.a[1] == 1)
    assert(math.type(v.a[2]) == "float" and v.a[2] == 2.5)
    assert(v.a[3] == "x" and v.a[4] == true and v.a[5] == false)
    assert(v.a[6] == json.null and #v.a == 6)
    assert(v.b.c == -3 and v.e == "")
    assert(json.decode('"caf\\u00e9"') == "caf\xc3\xa9")
    assert(json.decode('"a\\u0000b"') == "a\0b")
    assert(json.decode('7') == 7 and json.decode('null') == json.null)
    return true
  )";
  ASSERT_EQ(luaL_dostring(L, code), LUA_OK) << lua_tostring(L, -1);
}

TEST_F(JsonTest, ReportsMalformedInput) {
  JsonError err;
  const char* bad = "{\"a\": [1, 2,}";
  EXPECT_FALSE(json_decode(L, bad, std::strlen(bad), &err));
  EXPECT_EQ(lua_gettop(L), 0) << "nothing pushed on failure";
  EXPECT_EQ(err.line, 1);
  EXPECT_GT(err.column, 0);
  EXPECT_NE(err.message[0], '\0');
  const char* code = R"(
    local v, msg, line, col = json.decode('[1, 2')
    assert(v == nil and type(msg) == "string" and line == 1 and col > 0)
    assert(json.decode('') == nil)
    assert(json.decode('{} extra') == nil)
    return true
  )";
  ASSERT_EQ(luaL_dostring(L, code), LUA_OK) << lua_tostring(L, -1);
}

TEST_F(JsonTest, RoundTrips) {
  const char* code = R"(
    local v = {name = "luasync", list = {1, 2.25, "three", {nested = {true}}}, n = -0.5}
    local text = json.encode(v)
    assert(json.encode(json.decode(text)) == text, text)
    return true
  )";
  ASSERT_EQ(luaL_dostring(L, code), LUA_OK) << lua_tostring(L, -1);
}

}  // namespace
