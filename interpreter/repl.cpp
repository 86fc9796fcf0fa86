// repl.cpp: the interactive REPL (minimal line reader for now).
#include <cstdio>
#include <cstring>
#include <string>

#include "interpreter.h"

namespace luasync {

int run_repl(const RunOptions& opts) {
  lua_State* L = new_state(opts);
  if (!L) return 1;
  char buf[4096];
  for (;;) {
    std::fputs("> ", stdout);
    std::fflush(stdout);
    if (!std::fgets(buf, sizeof buf, stdin)) break;
    std::string code = std::string("return ") + buf;
    if (luaL_loadbufferx(L, code.c_str(), code.size(), "=stdin", "t") != LUA_OK) {
      lua_pop(L, 1);
      if (luaL_loadbufferx(L, buf, std::strlen(buf), "=stdin", "t") != LUA_OK) {
        std::fprintf(stderr, "%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        continue;
      }
    }
    int top = lua_gettop(L) - 1;
    if (call_chunk(L, 0, LUA_MULTRET)) {
      int n = lua_gettop(L) - top;
      if (n > 0) {
        lua_getglobal(L, "print");
        lua_insert(L, top + 1);
        lua_pcall(L, n, 0, 0);
      }
    }
    lua_settop(L, top);
  }
  std::fputs("\n", stdout);
  close_state(L);
  return 0;
}

}  // namespace luasync
