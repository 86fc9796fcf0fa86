// runtime.cpp: the helpers declared in runtime.h.
#include "runtime.h"

#include <cstdarg>
#include <cstdio>
#include "trampoline.h"

namespace luasync {

char kYieldBare, kYieldFuture, kYieldSleep, kYieldDeep, kResumeThrow;

static const char* class_name(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::Cancelled: return "CancelledError";
    case ErrorClass::Timeout: return "TimeoutError";
    case ErrorClass::InvalidState: return "InvalidStateError";
    case ErrorClass::Error: return "Error";
    case ErrorClass::KeyboardInterrupt: return "KeyboardInterrupt";
  }
  return "Error";
}

// Pushes asyncio[ClassName].
static void push_class(lua_State* L, ErrorClass cls) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, runtime(L)->asyncio_ref);
  lua_getfield(L, -1, class_name(cls));
  lua_remove(L, -2);
}

void push_error(lua_State* L, ErrorClass cls, int msg_idx) {
  if (msg_idx) msg_idx = lua_absindex(L, msg_idx);
  push_class(L, cls);
  if (msg_idx)
    lua_pushvalue(L, msg_idx);
  else
    lua_pushnil(L);
  lua_call(L, 1, 1);
}

void push_error(lua_State* L, ErrorClass cls, const char* msg) {
  push_class(L, cls);
  lua_pushstring(L, msg);
  lua_call(L, 1, 1);
}

void raise_error(lua_State* L, ErrorClass cls, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  push_error(L, cls, buf);
  lua_error(L);
  __builtin_unreachable();
}

bool is_error(lua_State* L, int idx, ErrorClass cls) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  idx = lua_absindex(L, idx);
  push_class(L, cls);
  int cls_idx = lua_gettop(L);
  bool found = false;
  if (lua_getmetatable(L, idx)) {
    for (int depth = 0; depth < 32 && lua_istable(L, -1); depth++) {
      if (lua_rawequal(L, -1, cls_idx)) {
        found = true;
        break;
      }
      lua_pushliteral(L, "__parent");
      lua_rawget(L, -2);
      lua_remove(L, -2);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return found;
}

int arg_error(lua_State* L, int arg, const char* expected) {
  const char* got = luaL_typename(L, arg);
  if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
  luaL_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", expected, got));
  __builtin_unreachable();
}

static int tostring_protected(lua_State* L) {
  luaL_tolstring(L, 1, nullptr);
  return 1;
}

std::string safe_tostring(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (!lua_checkstack(L, 4)) return "?";
  Runtime* rt = runtime(L);
  if (rt && rt->trusted_function && luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
    bool trusted = rt->trusted_function(L, lua_gettop(L));
    lua_pop(L, 1);
    if (!trusted) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
      return buf;
    }
  }
  push_fn<tostring_protected>(L);
  lua_pushvalue(L, idx);
  std::string out;
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    out.assign(s, len);
  } else {
    char buf[96];
    std::snprintf(buf, sizeof buf, "<%s (its __tostring failed)>", luaL_typename(L, idx));
    out = buf;
  }
  lua_pop(L, 1);
  return out;
}

void report(lua_State* L, const char* kind, const std::string& text, int idx) {
  Runtime* rt = runtime(L);
  if (rt && rt->report_hook) {
    rt->report_hook(L, kind, text, idx ? lua_absindex(L, idx) : 0);
    return;
  }
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace luasync
