// json.cpp: see json.h.
#include "json.h"

#include <jansson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>
#include "scope.h"
#include "trampoline.h"

namespace luasync {

static char kJsonNull;  // its address is json.null

void json_push_null(lua_State* L) { lua_pushlightuserdata(L, &kJsonNull); }

// ---------------------------------------------------------------- encode

static constexpr int kMaxDepth = 1000;

// Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0.
static size_t utf8_seq(const unsigned char* s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x3f >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

static void encode_string(lua_State* L, const char* s, size_t n, std::string& out) {
  static const char hex[] = "0123456789abcdef";
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c >= 0x80) {
      size_t len = utf8_seq(p + i, n - i);
      if (len == 0) luaL_error(L, "cannot encode to JSON: string is not valid UTF-8 (at byte %d)", (int)i + 1);
      out.append(s + i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    i++;
  }
  out.push_back('"');
}

// Shortest text that reads back as the same double; integral floats keep a
// ".0" so that they decode as floats again.
static void encode_float(lua_State* L, double d, std::string& out) {
  if (std::isnan(d) || std::isinf(d)) luaL_error(L, "cannot encode to JSON: %s is not a JSON number", std::isnan(d) ? "nan" : "inf");
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  if (std::strtod(buf, nullptr) != d) std::snprintf(buf, sizeof buf, "%.17g", d);
  out += buf;
  if (!std::strpbrk(buf, ".eE")) out += ".0";
}

static void encode_value(lua_State* L, int idx, std::string& out, int depth);

// How a table encodes: as an array of n items, or as an object.
static bool table_is_array(lua_State* L, int idx, lua_Integer* n_out) {
  if (luaL_getmetafield(L, idx, "__jsontype") != LUA_TNIL) {
    bool arr = lua_type(L, -1) == LUA_TSTRING && std::strcmp(lua_tostring(L, -1), "array") == 0;
    lua_pop(L, 1);
    *n_out = static_cast<lua_Integer>(lua_rawlen(L, idx));
    if (arr) return true;
    return false;
  }
  lua_Integer count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER || !lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return false;
    }
    max = std::max(max, lua_tointeger(L, -1));
    count++;
  }
  *n_out = max;
  return count > 0 && max == count;
}

struct ObjectKey {
  std::string text;   // the JSON key
  bool is_int;        // the Lua key is an integer (else a string)
  lua_Integer ikey;
};

static void encode_table(lua_State* L, int idx, std::string& out, int depth) {
  lua_Integer n;
  if (table_is_array(L, idx, &n)) {
    out.push_back('[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) out.push_back(',');
      lua_rawgeti(L, idx, i);
      encode_value(L, lua_gettop(L), out, depth + 1);
      lua_pop(L, 1);
    }
    out.push_back(']');
    return;
  }
  // In a to-be-closed value: a bad key or value raises (scope.h).
  std::vector<ObjectKey>& keys = *push_scoped<std::vector<ObjectKey>>(L);
  int keys_slot = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int kt = lua_type(L, -1);
    if (kt == LUA_TSTRING) {
      size_t len;
      const char* k = lua_tolstring(L, -1, &len);
      keys.push_back({std::string(k, len), false, 0});
    } else if (kt == LUA_TNUMBER && lua_isinteger(L, -1)) {
      lua_Integer k = lua_tointeger(L, -1);
      keys.push_back({std::to_string(k), true, k});
    } else {
      lua_pop(L, 1);
      luaL_error(L, "cannot encode to JSON: table key of type %s (object keys must be strings)",
                 kt == LUA_TNUMBER ? "float" : lua_typename(L, kt));
    }
  }
  std::sort(keys.begin(), keys.end(), [](const ObjectKey& a, const ObjectKey& b) { return a.text < b.text; });
  out.push_back('{');
  bool first = true;
  for (const ObjectKey& k : keys) {
    if (!first) out.push_back(',');
    first = false;
    encode_string(L, k.text.data(), k.text.size(), out);
    out.push_back(':');
    if (k.is_int)
      lua_pushinteger(L, k.ikey);
    else
      lua_pushlstring(L, k.text.data(), k.text.size());
    lua_rawget(L, idx);
    encode_value(L, lua_gettop(L), out, depth + 1);
    lua_pop(L, 1);
  }
  out.push_back('}');
  lua_closeslot(L, keys_slot);  // frees the keys (not lua_settop: see task_cancel)
  lua_settop(L, keys_slot - 1);
}

static void encode_value(lua_State* L, int idx, std::string& out, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "cannot encode to JSON: nested too deeply (a table that contains itself?)");
  luaL_checkstack(L, 4, "JSON value nested too deeply");
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      out += "null";
      return;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, idx) ? "true" : "false";
      return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx))
        out += std::to_string(lua_tointeger(L, idx));
      else
        encode_float(L, lua_tonumber(L, idx), out);
      return;
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      encode_string(L, s, n, out);
      return;
    }
    case LUA_TTABLE:
      encode_table(L, idx, out, depth);
      return;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == &kJsonNull) {
        out += "null";
        return;
      }
      break;
    default:
      break;
  }
  luaL_error(L, "cannot encode to JSON: value of type %s", luaL_typename(L, idx));
}

void json_encode(lua_State* L, int idx, std::string& out) { encode_value(L, lua_absindex(L, idx), out, 0); }

// ---------------------------------------------------------------- decode

// The parsed document while it is turned into Lua values: to-be-closed
// (scope.h), so an error (out of memory) frees it too.
struct JsonRoot {
  json_t* j = nullptr;
  ~JsonRoot() {
    if (j) json_decref(j);
  }
};

static void push_json(lua_State* L, json_t* j) {
  luaL_checkstack(L, 4, "JSON document nested too deeply");
  switch (json_typeof(j)) {
    case JSON_OBJECT: {
      lua_createtable(L, 0, static_cast<int>(json_object_size(j)));
      const char* key;
      size_t klen;
      json_t* v;
      json_object_keylen_foreach(j, key, klen, v) {
        lua_pushlstring(L, key, klen);
        push_json(L, v);
        lua_rawset(L, -3);
      }
      return;
    }
    case JSON_ARRAY: {
      size_t n = json_array_size(j);
      lua_createtable(L, static_cast<int>(n), 0);
      for (size_t i = 0; i < n; i++) {
        push_json(L, json_array_get(j, i));
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      return;
    }
    case JSON_STRING:
      lua_pushlstring(L, json_string_value(j), json_string_length(j));
      return;
    case JSON_INTEGER:
      lua_pushinteger(L, static_cast<lua_Integer>(json_integer_value(j)));
      return;
    case JSON_REAL:
      lua_pushnumber(L, json_real_value(j));
      return;
    case JSON_TRUE:
      lua_pushboolean(L, 1);
      return;
    case JSON_FALSE:
      lua_pushboolean(L, 0);
      return;
    case JSON_NULL:
      json_push_null(L);
      return;
  }
}

bool json_decode(lua_State* L, const char* s, size_t n, JsonError* err) {
  json_error_t e;
  JsonRoot& root = *push_scoped<JsonRoot>(L);
  int slot = lua_gettop(L);
  root.j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!root.j) {
    std::snprintf(err->message, sizeof err->message, "%s", e.text);
    err->line = e.line;
    err->column = e.column;
    err->position = e.position;
    lua_closeslot(L, slot);
    lua_settop(L, slot - 1);
    return false;
  }
  push_json(L, root.j);
  lua_closeslot(L, slot);  // frees the tree
  lua_remove(L, slot);
  return true;
}

// ---------------------------------------------------------------- Lua

// encode(value) -> string
static int l_encode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  // The text so far lives in a to-be-closed value: an error anywhere in
  // the value frees it (scope.h).
  std::string& out = *push_scoped<std::string>(L);
  json_encode(L, 1, out);
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

// decode(string) -> value | nil, message, line, column, position
static int l_decode(lua_State* L) {
  size_t n;
  const char* s = luaL_checklstring(L, 1, &n);
  JsonError err;
  if (json_decode(L, s, n, &err)) return 1;
  lua_pushnil(L);
  lua_pushstring(L, err.message);
  lua_pushinteger(L, err.line);
  lua_pushinteger(L, err.column);
  lua_pushinteger(L, err.position);
  return 5;
}

}  // namespace luasync

extern "C" int luaopen_asyncio__json(lua_State* L) {
  using namespace luasync;
  static const Reg fns[] = {
      {"encode", fn<luasync::l_encode>},
      {"decode", fn<luasync::l_decode>},
      {nullptr, nullptr},
  };
  new_lib(L, fns);
  luasync::json_push_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
