// marshal.cpp: see marshal.h.
//
// The format: a value count (u32), then each value as a tag byte and its
// payload: nil, false, true; an integer or a float (8 bytes each); a string
// (u64 length, bytes); a table (u32 array-size hint, then key/value pairs
// until an end tag); a reference (u32) to a table seen earlier in the same
// buffer, numbered in the order tables start.
#include "marshal.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "trampoline.h"

namespace luasync {

namespace {

enum Tag : uint8_t { kNil, kFalse, kTrue, kInt, kFloat, kString, kTable, kEnd, kRef };

constexpr int kMaxDepth = 200;
const char* const kOnly = "only nil, booleans, numbers, strings and tables of those can be copied to a thread";

int blob_gc(lua_State* L) {
  blob_free(static_cast<Blob*>(lua_touserdata(L, 1)));
  return 0;
}

void reserve(lua_State* L, Blob* b, size_t need) {
  if (b->cap - b->size >= need) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->size < need) {
    if (cap > (SIZE_MAX >> 2)) luaL_error(L, "not enough memory");
    cap *= 2;
  }
  auto* p = static_cast<char*>(std::realloc(b->data, cap));
  if (!p) luaL_error(L, "not enough memory");
  b->data = p;
  b->cap = cap;
}

void put(lua_State* L, Blob* b, const void* p, size_t n) {
  reserve(L, b, n);
  std::memcpy(b->data + b->size, p, n);
  b->size += n;
}

void put_tag(lua_State* L, Blob* b, Tag t) {
  uint8_t v = t;
  put(L, b, &v, 1);
}

void put_u32(lua_State* L, Blob* b, uint32_t v) { put(L, b, &v, sizeof v); }

struct Encoder {
  Blob* b;
  int seen;  // stack index: table -> its number
  uint32_t next_id;
};

// Why the value at idx cannot be copied (pushed), e.g. "a function".
void push_reason(lua_State* L, int idx) {
  if (lua_type(L, idx) == LUA_TTABLE)
    lua_pushliteral(L, "a table with a metatable");
  else
    lua_pushfstring(L, "a %s", luaL_typename(L, idx));
}

// How a key appears in a path: .name, [1], ["a b"], [true], [table].
void push_path_segment(lua_State* L, int key) {
  switch (lua_type(L, key)) {
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, key, &n);
      bool ident = n > 0 && n < 64 && !(s[0] >= '0' && s[0] <= '9');
      for (size_t i = 0; ident && i < n; i++) {
        char c = s[i];
        ident = (c == '_') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      }
      if (ident)
        lua_pushfstring(L, ".%s", s);
      else
        lua_pushfstring(L, "[\"%s\"]", n < 64 ? s : "...");
      break;
    }
    case LUA_TNUMBER:
      if (lua_isinteger(L, key))
        lua_pushfstring(L, "[%I]", static_cast<LUAI_UACINT>(lua_tointeger(L, key)));
      else
        lua_pushfstring(L, "[%f]", lua_tonumber(L, key));
      break;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, key) ? "[true]" : "[false]");
      break;
    default:
      lua_pushliteral(L, "[table]");
      break;
  }
}

// Encodes the value at idx. On failure pushes two strings, the reason and
// the path below this value (empty here), and returns false.
bool encode(lua_State* L, Encoder* e, int idx, int depth) {
  Blob* b = e->b;
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      put_tag(L, b, kNil);
      return true;
    case LUA_TBOOLEAN:
      put_tag(L, b, lua_toboolean(L, idx) ? kTrue : kFalse);
      return true;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        put_tag(L, b, kInt);
        int64_t v = lua_tointeger(L, idx);
        put(L, b, &v, sizeof v);
      } else {
        put_tag(L, b, kFloat);
        double v = lua_tonumber(L, idx);
        put(L, b, &v, sizeof v);
      }
      return true;
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      put_tag(L, b, kString);
      uint64_t len = n;
      put(L, b, &len, sizeof len);
      put(L, b, s, n);
      return true;
    }
    case LUA_TTABLE:
      break;
    default:
      push_reason(L, idx);
      lua_pushliteral(L, "");
      return false;
  }
  if (lua_getmetatable(L, idx)) {
    lua_pop(L, 1);
    push_reason(L, idx);
    lua_pushliteral(L, "");
    return false;
  }
  idx = lua_absindex(L, idx);
  lua_pushvalue(L, idx);
  if (lua_rawget(L, e->seen) == LUA_TNUMBER) {  // seen before: a reference
    auto id = static_cast<uint32_t>(lua_tointeger(L, -1));
    lua_pop(L, 1);
    put_tag(L, b, kRef);
    put_u32(L, b, id);
    return true;
  }
  lua_pop(L, 1);
  if (depth >= kMaxDepth) {
    lua_pushfstring(L, "a table nested more than %d deep", kMaxDepth);
    lua_pushliteral(L, "");
    return false;
  }
  luaL_checkstack(L, 6, "tables nested too deeply");
  lua_pushvalue(L, idx);
  lua_pushinteger(L, e->next_id++);
  lua_rawset(L, e->seen);
  put_tag(L, b, kTable);
  put_u32(L, b, static_cast<uint32_t>(lua_rawlen(L, idx)));
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int value = lua_gettop(L), key = value - 1;
    if (!encode(L, e, key, depth + 1)) {
      // [key value reason path]: a key that cannot be copied.
      lua_pushvalue(L, -2);
      lua_pushliteral(L, " used as a key");
      lua_concat(L, 2);
      lua_replace(L, -3);  // [key value reason' path]
      lua_replace(L, value);
      lua_replace(L, key);
      return false;
    }
    if (!encode(L, e, value, depth + 1)) {
      // [key value reason path] -> [reason segment..path]
      push_path_segment(L, key);
      lua_insert(L, -2);
      lua_concat(L, 2);
      lua_replace(L, value);
      lua_replace(L, key);
      return false;
    }
    lua_pop(L, 1);
  }
  put_tag(L, b, kEnd);
  return true;
}

struct Reader {
  const char* p;
  const char* end;
  int refs;  // stack index: number -> table
  lua_Integer next_id;
};

void take(lua_State* L, Reader* r, void* out, size_t n) {
  if (static_cast<size_t>(r->end - r->p) < n) luaL_error(L, "malformed value buffer");
  std::memcpy(out, r->p, n);
  r->p += n;
}

// Decodes one value and pushes it; returns false at an end tag (nothing
// pushed).
bool decode(lua_State* L, Reader* r, int depth) {
  uint8_t tag;
  take(L, r, &tag, 1);
  switch (tag) {
    case kNil:
      lua_pushnil(L);
      return true;
    case kFalse:
    case kTrue:
      lua_pushboolean(L, tag == kTrue);
      return true;
    case kInt: {
      int64_t v;
      take(L, r, &v, sizeof v);
      lua_pushinteger(L, static_cast<lua_Integer>(v));
      return true;
    }
    case kFloat: {
      double v;
      take(L, r, &v, sizeof v);
      lua_pushnumber(L, v);
      return true;
    }
    case kString: {
      uint64_t n;
      take(L, r, &n, sizeof n);
      if (static_cast<uint64_t>(r->end - r->p) < n) luaL_error(L, "malformed value buffer");
      lua_pushlstring(L, r->p, static_cast<size_t>(n));
      r->p += n;
      return true;
    }
    case kRef: {
      uint32_t id;
      take(L, r, &id, sizeof id);
      if (lua_rawgeti(L, r->refs, id) != LUA_TTABLE) luaL_error(L, "malformed value buffer");
      return true;
    }
    case kTable: {
      if (depth > kMaxDepth + 1) luaL_error(L, "malformed value buffer");
      luaL_checkstack(L, 4, "tables nested too deeply");
      uint32_t narr;
      take(L, r, &narr, sizeof narr);
      lua_createtable(L, static_cast<int>(narr < (1u << 24) ? narr : 0), 0);
      lua_pushvalue(L, -1);
      lua_rawseti(L, r->refs, r->next_id++);
      int t = lua_gettop(L);
      while (decode(L, r, depth + 1)) {
        if (!decode(L, r, depth + 1) || lua_isnil(L, -2)) luaL_error(L, "malformed value buffer");
        lua_rawset(L, t);
      }
      return true;
    }
    case kEnd:
      return false;
    default:
      luaL_error(L, "malformed value buffer");
      return false;
  }
}

}  // namespace

void blob_free(Blob* b) {
  std::free(b->data);
  b->data = nullptr;
  b->size = b->cap = 0;
}

bool marshal_message(Blob* b, const char* msg) {
  blob_free(b);
  uint64_t n = std::strlen(msg);
  size_t size = sizeof(uint32_t) + 1 + sizeof n + n;
  b->data = static_cast<char*>(std::malloc(size));
  if (!b->data) return false;
  uint32_t count = 1;
  uint8_t tag = kString;
  char* p = b->data;
  std::memcpy(p, &count, sizeof count);
  p += sizeof count;
  *p++ = static_cast<char>(tag);
  std::memcpy(p, &n, sizeof n);
  p += sizeof n;
  std::memcpy(p, msg, n);
  b->size = b->cap = size;
  return true;
}

Blob* push_blob(lua_State* L) {
  auto* b = static_cast<Blob*>(lua_newuserdatauv(L, sizeof(Blob), 0));
  *b = Blob{};
  if (luaL_newmetatable(L, "asyncio.Blob")) {
    push_fn<blob_gc>(L);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

void marshal_encode(lua_State* L, Blob* b, int first, int n, const char* what, int index0, const char* fname) {
  first = lua_absindex(L, first);
  luaL_checkstack(L, 8, "too many values");
  lua_newtable(L);
  Encoder e{b, lua_gettop(L), 1};
  put_u32(L, b, static_cast<uint32_t>(n));
  for (int i = 0; i < n; i++) {
    if (encode(L, &e, first + i, 0)) continue;
    // [reason path]
    const char* reason = lua_tostring(L, -2);
    const char* path = lua_tostring(L, -1);
    if (fname) {
      if (*path)
        lua_pushfstring(L, "bad argument #%d to '%s' (field %s is %s: %s)", index0 + i, fname, path, reason, kOnly);
      else
        lua_pushfstring(L, "bad argument #%d to '%s' (%s: %s)", index0 + i, fname, reason, kOnly);
    } else if (*path) {
      lua_pushfstring(L, "%s #%d: field %s is %s: %s", what, index0 + i, path, reason, kOnly);
    } else {
      lua_pushfstring(L, "%s #%d is %s: %s", what, index0 + i, reason, kOnly);
    }
    lua_error(L);
  }
  lua_pop(L, 1);
}

int marshal_decode(lua_State* L, const char* data, size_t size) {
  Reader r{data, data + size, 0, 1};
  uint32_t n;
  take(L, &r, &n, sizeof n);
  if (n > 250 || !lua_checkstack(L, static_cast<int>(n) + 8)) luaL_error(L, "too many values");
  lua_newtable(L);
  r.refs = lua_gettop(L);
  for (uint32_t i = 0; i < n; i++)
    if (!decode(L, &r, 0)) luaL_error(L, "malformed value buffer");
  lua_remove(L, r.refs);
  return static_cast<int>(n);
}

}  // namespace luasync
