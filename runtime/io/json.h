// json.h: JSON for the HTTP layer and require("asyncio.json").
//
// Decoding uses Debian's jansson; encoding walks the Lua value directly
// (shortest round-trip numbers, sorted object keys, so output is
// deterministic). The mapping:
//   null <-> json.null (a light userdata sentinel; nil also encodes as null)
//   true/false <-> booleans, strings <-> strings (must be valid UTF-8)
//   integers <-> integers, other numbers <-> floats (1.0 encodes as "1.0")
//   arrays <-> tables with keys 1..n; objects <-> tables with string keys.
// An empty table encodes as {}; json.array(t) marks a table as an array.
#pragma once

#include <lua.hpp>

#include <string>

namespace luasync {

// Appends the JSON text of the value at idx to out. Raises a Lua error
// (a string naming what cannot be encoded) on failure.
// Appends the JSON text of the value at idx to out, or raises: out must be
// owned by a to-be-closed value (scope.h), as l_encode does.
void json_encode(lua_State* L, int idx, std::string& out);

// Decodes s[0..n). On success pushes the value and returns true; on failure
// pushes nothing, fills *err (message, line, column) and returns false.
struct JsonError {
  char message[160] = "";  // no destructor: lives across raising calls
  int line = 0, column = 0;
  int position = 0;
};
bool json_decode(lua_State* L, const char* s, size_t n, JsonError* err);

// Pushes the json.null sentinel.
void json_push_null(lua_State* L);

}  // namespace luasync

// require("asyncio._json"): {encode, decode, null}; runtime/io/lua/modules/json.lua
// builds the public module on it.
extern "C" int luaopen_asyncio__json(lua_State* L);
