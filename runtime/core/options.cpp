// options.cpp: strict options tables (see options.h).
#include "options.h"

#include <cstring>

#include "runtime.h"

namespace luasync {

namespace {

constexpr int kMaxAccepted = 64;

// Pushes how a key is shown in the message: a string as it is, any other
// key as [value] (never calling a metamethod).
void push_key_text(lua_State* L, int key) {
  switch (lua_type(L, key)) {
    case LUA_TSTRING:
      lua_pushvalue(L, key);
      break;
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
      lua_pushfstring(L, "[%s]", luaL_typename(L, key));
      break;
  }
}

// Raises the unknown-option error for the key at index key. Only the Lua API
// is used here (nothing needs unwinding when it raises).
[[noreturn]] void unknown_option(lua_State* L, int key, const char* fname, const char* const* accepted,
                                 int level, const char* prefix) {
  const char* sorted[kMaxAccepted];
  int n = 0;
  for (const char* const* a = accepted; *a && n < kMaxAccepted; a++) {
    int i = n++;
    while (i > 0 && std::strcmp(sorted[i - 1], *a) > 0) {
      sorted[i] = sorted[i - 1];
      i--;
    }
    sorted[i] = *a;
  }
  int base = lua_gettop(L);
  if (level > 0)
    luaL_where(L, level);
  else
    lua_pushliteral(L, "");
  lua_pushfstring(L, "bad option '%s", prefix);
  push_key_text(L, key);
  lua_pushfstring(L, "' to '%s' (unknown option; ", fname);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (n == 0) {
    luaL_addstring(&b, "it takes none)");
  } else {
    luaL_addstring(&b, "accepted: ");
    for (int i = 0; i < n; i++) {
      if (i) luaL_addstring(&b, ", ");
      luaL_addstring(&b, sorted[i]);
    }
    luaL_addchar(&b, ')');
  }
  luaL_pushresult(&b);
  lua_concat(L, lua_gettop(L) - base);
  lua_error(L);
  __builtin_unreachable();
}

bool accepted_key(const char* k, const char* const* accepted) {
  for (const char* const* a = accepted; *a; a++)
    if (std::strcmp(*a, k) == 0) return true;
  return false;
}

}  // namespace

bool check_options(lua_State* L, int idx, const char* fname, const char* const* accepted, int arg, int level,
                   const char* prefix) {
  int t = lua_type(L, idx);
  if (t == LUA_TNONE || t == LUA_TNIL) return false;
  idx = lua_absindex(L, idx);
  if (t != LUA_TTABLE) {
    if (level > 0)
      luaL_where(L, level);
    else
      lua_pushliteral(L, "");
    if (arg > 0)
      lua_pushfstring(L, "bad argument #%d to '%s' (table of options expected, got %s)", arg, fname,
                      luaL_typename(L, idx));
    else
      lua_pushfstring(L, "bad options to '%s' (table expected, got %s)", fname, luaL_typename(L, idx));
    lua_concat(L, 2);
    lua_error(L);
  }
  luaL_checkstack(L, 8, "options");
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING || !accepted_key(lua_tostring(L, -1), accepted))
      unknown_option(L, lua_gettop(L), fname, accepted, level, prefix);
  }
  return true;
}

int l_check_options(lua_State* L) {
  const char* fname = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  int arg = static_cast<int>(luaL_optinteger(L, 4, 0));
  int level = static_cast<int>(luaL_optinteger(L, 5, 2));
  const char* prefix = luaL_optstring(L, 6, "");
  // The names stay anchored in the table at 3 while the check runs.
  const char* accepted[kMaxAccepted + 1];
  int k = 0;
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 3));
  if (n > 0) {  // an array of names
    for (lua_Integer i = 1; i <= n; i++) {
      bool is_string = lua_rawgeti(L, 3, i) == LUA_TSTRING;
      const char* s = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (!is_string) return luaL_argerror(L, 3, "array or set of option names expected");
      if (k == kMaxAccepted) return luaL_argerror(L, 3, "too many option names");
      accepted[k++] = s;
    }
  } else {  // a set {name = true}
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING) return luaL_argerror(L, 3, "array or set of option names expected");
      if (k == kMaxAccepted) return luaL_argerror(L, 3, "too many option names");
      accepted[k++] = lua_tostring(L, -1);
    }
  }
  accepted[k] = nullptr;
  lua_pushboolean(L, check_options(L, 1, fname, accepted, arg, level, prefix));
  return 1;
}

}  // namespace luasync
