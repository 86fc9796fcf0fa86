// The unwind lint's self-test: each line marked with an expectation comment
// (class A or B) must be reported with that class, and nothing else may be.
#include <lua.hpp>

#include <string>
#include <vector>

namespace {

struct Guard {
  bool* flag;
  explicit Guard(bool* f) : flag(f) { *flag = true; }
  ~Guard() { *flag = false; }
};

bool busy = false;

// Reaches lua_error: every caller inherits class A.
void fail(lua_State* L, const char* what) { luaL_error(L, "%s", what); }

int l_string_across_check(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);  // expect: A
  lua_pushinteger(L, n + static_cast<lua_Integer>(name.size()));
  return 1;
}

int l_guard_across_call(lua_State* L) {
  Guard g(&busy);
  lua_call(L, 0, 0);  // expect: A
  return 0;
}

int l_transitive(lua_State* L) {
  std::vector<int> v{1, 2, 3};
  if (lua_gettop(L) > 3) fail(L, "too many");  // expect: A
  lua_pushinteger(L, v[0]);
  return 1;
}

int l_oom_only(lua_State* L) {
  std::string s = "x";
  lua_pushstring(L, s.c_str());  // expect: B
  return 1;
}

int l_light_function(lua_State* L) {
  std::string s = "x";
  lua_pushcfunction(L, l_oom_only);  // no upvalue: a light C function, no allocation
  lua_pushinteger(L, static_cast<lua_Integer>(s.size()));
  lua_pushcclosure(L, l_oom_only, 1);  // expect: B
  return 2;
}

int l_scoped(lua_State* L) {
  size_t len;
  {
    std::string s = "scoped";
    len = s.size();
  }
  lua_pushinteger(L, static_cast<lua_Integer>(len) + luaL_checkinteger(L, 1));
  return 1;
}

// Nothing in Lua calls this one: not reported.
void unreachable(lua_State* L) {
  std::string s = "never from Lua";
  luaL_error(L, "%s", s.c_str());
}

}  // namespace

extern "C" int luaopen_hazards(lua_State* L) {
  const luaL_Reg fns[] = {{"a", l_string_across_check}, {"b", l_guard_across_call},
                          {"c", l_transitive}, {"d", l_oom_only}, {"e", l_scoped}, {"f", l_light_function},
                          {nullptr, nullptr}};
  luaL_newlib(L, fns);
  return 1;
}

void keep(lua_State* L) { unreachable(L); }
