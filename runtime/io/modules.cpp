// modules.cpp: see modules.h.
#include "modules.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>
#include <string>

#include "embedded_lua.h"
#include "fs.h"
#include "process.h"
#include "runtime.h"
#include "executor.h"
#include "signals.h"
#include "tcp.h"
#include "trampoline.h"

// Defined when the HTTP objects are linked in (the asyncio.so module); in
// the luasync executable they live in a plugin loaded on first use.
extern "C" int luaopen_asyncio__http(lua_State* L) __attribute__((weak));
extern "C" int luaopen_asyncio__tls(lua_State* L) __attribute__((weak));
extern "C" int luaopen_asyncio__ws(lua_State* L) __attribute__((weak));
extern "C" int luaopen_asyncio__json(lua_State* L);

namespace luasync {

// The network plugin (HTTP, TLS, websockets) stays loaded for the life of
// the process.
static void* http_plugin_handle = nullptr;

// Finds and loads the network plugin (lib/luasync/http.so beside or above
// the executable, $LUASYNC_PLUGIN_DIR, or the install directory) once per
// process; returns its function `symbol`, or nullptr with `err` set.
static lua_CFunction plugin_function(const char* symbol, std::string* err) {
  if (!http_plugin_handle) {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("LUASYNC_PLUGIN_DIR")) dirs.push_back(env);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
      exe[n] = '\0';
      std::string dir(exe, std::strrchr(exe, '/') - exe);
      dirs.push_back(dir + "/lib/luasync");
      dirs.push_back(dir + "/../lib/luasync");
    }
    dirs.push_back(LUASYNC_PLUGIN_INSTALL_DIR);
    std::string tried;
    for (const std::string& d : dirs) {
      std::string path = d + "/http.so";
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        tried += "\n\t" + path + ": " + dlerror();
        continue;
      }
      http_plugin_handle = h;
      break;
    }
    if (!http_plugin_handle) {
      *err = "cannot load luasync's network support (http.so); tried:" + tried;
      return nullptr;
    }
  }
  auto fn = reinterpret_cast<lua_CFunction>(dlsym(http_plugin_handle, symbol));
  if (!fn) *err = std::string("http.so has no ") + symbol;
  return fn;
}

static lua_CFunction http_plugin(std::string* err) {
  if (luaopen_asyncio__http) return luaopen_asyncio__http;
  return plugin_function("luaopen_asyncio__http", err);
}

static int load_http(lua_State* L) {
  lua_CFunction open;
  {
    std::string err;
    open = http_plugin(&err);
    if (!open) lua_pushstring(L, err.c_str());
  }
  if (!open) return lua_error(L);
  return open(L);
}

// A native module of the network plugin (or linked in: `linked`).
static int load_from_plugin(lua_State* L, lua_CFunction linked, const char* symbol) {
  lua_CFunction open = linked;
  if (!open) {
    std::string err;
    open = plugin_function(symbol, &err);
    if (!open) lua_pushstring(L, err.c_str());
  }
  if (!open) return lua_error(L);
  return open(L);
}

static int load_tls(lua_State* L) { return load_from_plugin(L, luaopen_asyncio__tls, "luaopen_asyncio__tls"); }
static int load_ws(lua_State* L) { return load_from_plugin(L, luaopen_asyncio__ws, "luaopen_asyncio__ws"); }

bool preload_http_plugin(std::string* err) {
  if (!http_plugin(err)) return false;
  if (luaopen_asyncio__http) return true;  // linked in: nothing to gain
  static bool initialized = false;
  if (!initialized) {
    initialized = true;
    using Init = void (*)();
    if (auto init = reinterpret_cast<Init>(dlsym(http_plugin_handle, "luasync_http_global_init"))) init();
  }
  return true;
}

// Native parts of submodules: {"asyncio._NAME", luaopen function}. Each I/O
// layer adds its line here.
static const Reg kNativeModules[] = {
    {"asyncio._stream", fn<luaopen_stream>},
    {"asyncio._process", fn<luaopen_process>},
    {"asyncio._fs", fn<luaopen_fs>},
    {"asyncio._signal", fn<luaopen_signal>},
    {"asyncio._executor", fn<luaopen_executor>},
    {"asyncio._http", fn<load_http>},
    {"asyncio._tls", fn<load_tls>},
    {"asyncio._ws", fn<load_ws>},
    {"asyncio._json", fn<luaopen_asyncio__json>},
    {nullptr, nullptr},
};

// package.preload loader for an embedded Lua submodule (upvalue: its index).
static int load_embedded(lua_State* L) {
  const EmbeddedChunk* c = embedded_module_chunks() + lua_tointeger(L, lua_upvalueindex(1));
  if (luaL_loadbufferx(L, c->code, c->size, c->name, "b") != LUA_OK) lua_error(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, runtime(L)->asyncio_ref);
  lua_call(L, 1, 1);
  return 1;
}

void register_modules(lua_State* L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const Reg* m = kNativeModules; m->name; m++) {
    push_reg(L, *m);
    lua_setfield(L, -2, m->name);
  }
  int i = 0;
  for (const EmbeddedChunk* c = embedded_module_chunks(); c->name; c++, i++) {
    // "@[asyncio]/http.lua" -> "asyncio.http" (Lua strings only: no C++
    // object live across a call that raises)
    const char* base = std::strrchr(c->name, '/') + 1;
    lua_pushliteral(L, "asyncio.");
    lua_pushlstring(L, base, std::strlen(base) - 4);
    lua_concat(L, 2);
    lua_pushinteger(L, i);
    push_closure<load_embedded>(L, 1);
    lua_settable(L, -3);
  }
  lua_pop(L, 1);
}

}  // namespace luasync
