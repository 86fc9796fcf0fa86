// task_stack.cpp: task:get_stack() and task:print_stack() (Python's
// Task.get_stack / Task.print_stack), and the frame tables that
// capture_call_graph shares.
//
// A task that is suspended (or running) has the frames of its Lua thread:
// every coroutine it awaits inline, oldest first. A task that failed has the
// frames recorded where its error was raised (its traceback). Any other task
// (not started, finished, cancelled) has none. As in Python, a limit keeps
// the newest frames of a stack and the oldest of a traceback.
#include "task_stack.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "options.h"
#include "task.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

void push_frame_table(lua_State* L, const char* f, size_t n) {
  // "src:line: in what"
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, f, n);
  lua_setfield(L, -2, "text");
  const char* in = nullptr;
  for (size_t i = 0; i + 5 <= n; i++)
    if (std::memcmp(f + i, ": in ", 5) == 0) {
      in = f + i;
      break;
    }
  size_t where = in ? static_cast<size_t>(in - f) : n;
  const char* colon = nullptr;
  for (size_t i = where; i > 0; i--)
    if (f[i - 1] == ':') {
      colon = f + i - 1;
      break;
    }
  if (colon) {
    lua_pushlstring(L, f, static_cast<size_t>(colon - f));
    lua_setfield(L, -2, "source");
    lua_pushinteger(L, std::atoi(colon + 1));
    lua_setfield(L, -2, "line");
  }
  if (in) {
    lua_pushlstring(L, in + 5, n - where - 5);
    lua_setfield(L, -2, "name");
  }
}

namespace {

// Pushes the task's frames as text (one "\t" line each, innermost first)
// and returns whether they are a traceback (the task failed).
bool push_frames_text(lua_State* L, int tidx, Task* t) {
  if (!t->done()) {
    if (t->co && t->started) {
      std::string s = stack_frames(t->co, 0, t);
      lua_pushlstring(L, s.data(), s.size());
    } else {
      lua_pushliteral(L, "");
    }
    return false;
  }
  if (t->state == Future::Finished && t->has_exception) {
    if (lua_getiuservalue(L, tidx, UV_EXTRA) == LUA_TTABLE) {
      lua_getfield(L, -1, "traceback");
      lua_remove(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) return true;
    }
    lua_pop(L, 1);
  }
  lua_pushliteral(L, "");
  return false;
}

// Pushes an array of the frame lines of the text at idx, oldest first, cut
// to `limit` (< 0: all) as Python cuts (the newest frames of a stack, the
// oldest of a traceback). Lines that are not frames (the "(task 'x' was
// awaited by:)" separators of a traceback) are left out.
void push_frame_lines(lua_State* L, int idx, bool traceback, lua_Integer limit) {
  size_t n;
  const char* s = lua_tolstring(L, idx, &n);
  lua_newtable(L);  // innermost first, as the text
  int lines = lua_gettop(L);
  lua_Integer count = 0;
  size_t pos = 0;
  while (pos < n) {
    const char* nl = static_cast<const char*>(std::memchr(s + pos, '\n', n - pos));
    size_t end = nl ? static_cast<size_t>(nl - s) : n;
    size_t b = pos;
    while (b < end && s[b] == '\t') b++;
    // (a separator line reads "(task 'x' was awaited by:)")
    bool separator = b < end && s[b] == '(' && end - b >= 2 && s[end - 1] == ')' && s[end - 2] == ':';
    if (b < end && !separator) {
      lua_pushlstring(L, s + b, end - b);
      lua_rawseti(L, lines, ++count);
    }
    pos = end + 1;
  }
  lua_Integer first = 1, last = count;  // in oldest-first order below
  if (limit >= 0 && limit < count) {
    if (traceback)
      last = limit;  // the oldest
    else
      first = count - limit + 1;  // the newest
  }
  lua_createtable(L, static_cast<int>(last - first + 1), 0);
  lua_Integer k = 0;
  for (lua_Integer i = first; i <= last; i++) {
    lua_rawgeti(L, lines, count - i + 1);  // oldest first
    lua_rawseti(L, -2, ++k);
  }
  lua_remove(L, lines);
}

lua_Integer check_limit(lua_State* L, int idx, const char* fname, const char* const* accepted) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, idx);
    if (n < 0) luaL_argerror(L, idx, "non-negative limit expected");
    return n;
  }
  if (!check_options(L, idx, fname, accepted, idx - 1)) return -1;
  lua_getfield(L, idx, "limit");
  lua_Integer n = -1;
  if (!lua_isnil(L, -1)) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
      luaL_error(L, "bad option 'limit' to '%s' (non-negative integer expected)", fname);
    n = lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return n;
}

// task:get_stack([limit | {limit = n}]) -> array of {source, line, name, text}, oldest first
int l_get_stack(lua_State* L) {
  Task* t = check_task(L, 1);
  static const char* const accepted[] = {"limit", nullptr};
  lua_Integer limit = check_limit(L, 2, "get_stack", accepted);
  bool tb = push_frames_text(L, 1, t);
  push_frame_lines(L, lua_gettop(L), tb, limit);
  int lines = lua_gettop(L);
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, lines));
  lua_createtable(L, static_cast<int>(n), 0);
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len;
    lua_rawgeti(L, lines, i);
    const char* f = lua_tolstring(L, -1, &len);
    push_frame_table(L, f, len);
    lua_rawseti(L, -3, i);
    lua_pop(L, 1);
  }
  return 1;
}

// task:print_stack([{limit = n, file = f}]): the stack (or the traceback and
// the error) as text, to f:write or io.write.
int l_print_stack(lua_State* L) {
  Task* t = check_task(L, 1);
  static const char* const accepted[] = {"limit", "file", nullptr};
  lua_settop(L, 2);
  lua_Integer limit = check_limit(L, 2, "print_stack", accepted);
  bool tb = push_frames_text(L, 1, t);
  push_frame_lines(L, lua_gettop(L), tb, limit);
  int lines = lua_gettop(L);  // 4
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, lines));
  luaL_Buffer b;
  push_task_repr(L, 1);  // 5: below the buffer
  luaL_buffinit(L, &b);
  if (n == 0) {
    luaL_addstring(&b, "No stack for ");
    lua_pushvalue(L, 5);
    luaL_addvalue(&b);
    luaL_addchar(&b, '\n');
  } else {
    luaL_addstring(&b, tb ? "Traceback for " : "Stack for ");
    lua_pushvalue(L, 5);
    luaL_addvalue(&b);
    luaL_addstring(&b, " (most recent call last):\n");
    for (lua_Integer i = 1; i <= n; i++) {
      luaL_addchar(&b, '\t');
      lua_rawgeti(L, lines, i);
      luaL_addvalue(&b);
      luaL_addchar(&b, '\n');
    }
    if (tb) {
      lua_getiuservalue(L, 1, UV_RESULT);
      luaL_tolstring(L, -1, nullptr);
      lua_remove(L, -2);
      luaL_addvalue(&b);
      luaL_addchar(&b, '\n');
    }
  }
  luaL_pushresult(&b);  // 6
  if (lua_istable(L, 2) && lua_getfield(L, 2, "file") != LUA_TNIL) {
    lua_getfield(L, -1, "write");
    lua_insert(L, -2);
    lua_pushvalue(L, 6);
    lua_call(L, 2, 0);
    return 0;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "io") == LUA_TTABLE && lua_getfield(L, -1, "write") == LUA_TFUNCTION) {
    lua_pushvalue(L, 6);
    lua_call(L, 1, 0);
  }
  return 0;
}

}  // namespace

void open_task_stack(lua_State* L) {
  luaL_getmetatable(L, kTaskMT);
  lua_getfield(L, -1, "__index");
  static const Reg methods[] = {
      {"get_stack", fn<l_get_stack>},
      {"print_stack", fn<l_print_stack>},
      {nullptr, nullptr},
  };
  set_funcs(L, methods, 0);
  lua_pop(L, 2);
}

}  // namespace luasync
