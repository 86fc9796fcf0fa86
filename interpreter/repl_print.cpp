// repl_print.cpp: how the REPL shows results.
//
// Strings are quoted (so "1" and 1, "nil" and nil differ), numbers as Lua
// writes them, tables expanded: the array part first, then the other keys
// sorted (numbers, strings, the rest), `name = ` for identifier keys. A table
// is written on one line when it fits, else one entry per line, indented.
// A table met again inside itself shows as <cycle>; deeper than kMaxDepth as
// {...}; after kMaxItems entries "... (n more)"; the whole output stops at
// kMaxChars. Values with a __tostring metamethod (tasks, futures, coroutine
// objects, error objects) show through it; other userdata and threads by
// type, address and state.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "repl.h"
#include "runtime.h"

namespace luasync::repl {

namespace {

constexpr int kMaxDepth = 6;
constexpr int kMaxItems = 100;
constexpr size_t kMaxChars = 20000;
constexpr size_t kMaxString = 4000;
constexpr size_t kLineWidth = 78;

bool is_identifier(const char* s, size_t n) {
  static const char* const kw[] = {"and",   "break", "do",  "else", "elseif", "end",    "false", "for",
                                   "function", "goto", "if", "in",  "local",  "nil",    "not",   "or",
                                   "repeat", "return", "then", "true", "until", "while"};
  if (n == 0 || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (size_t i = 1; i < n; i++)
    if (!(std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) return false;
  for (const char* k : kw)
    if (std::strlen(k) == n && std::memcmp(k, s, n) == 0) return false;
  return true;
}

std::string address(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

class Printer {
 public:
  explicit Printer(lua_State* L) : L_(L) {
    lua_newtable(L);  // tables on the current path
    path_ = lua_gettop(L);
  }
  ~Printer() { lua_remove(L_, path_); }

  std::string value(int idx, size_t indent) {
    idx = lua_absindex(L_, idx);
    switch (lua_type(L_, idx)) {
      case LUA_TSTRING: {
        size_t n;
        const char* s = lua_tolstring(L_, idx, &n);
        if (n <= kMaxString) return quote_string(s, n);
        return quote_string(s, kMaxString) + "... (" + std::to_string(n) + " bytes)";
      }
      case LUA_TTABLE:
        if (luaL_getmetafield(L_, idx, "__tostring") != LUA_TNIL) {
          lua_pop(L_, 1);
          return tostring(idx);
        }
        return table(idx, indent);
      case LUA_TFUNCTION:
        return function(idx);
      case LUA_TTHREAD:
        return thread(idx);
      default:
        return tostring(idx);
    }
  }

 private:
  std::string tostring(int idx) {
    size_t n;
    const char* s = luaL_tolstring(L_, idx, &n);
    std::string r(s, n);
    lua_pop(L_, 1);
    return r;
  }

  std::string function(int idx) {
    lua_Debug ar;
    lua_pushvalue(L_, idx);
    const void* p = lua_topointer(L_, idx);
    lua_CFunction cf = lua_tocfunction(L_, idx);
    // A coroutine function (async(fn)): its body is upvalue 1.
    bool is_async = false;
    if (cf) {
      lua_rawgeti(L_, LUA_REGISTRYINDEX, runtime(L_)->asyncio_ref);
      if (lua_type(L_, -1) == LUA_TTABLE && lua_getfield(L_, -1, "iscoroutinefunction") == LUA_TFUNCTION) {
        lua_pushvalue(L_, idx);
        lua_call(L_, 1, 1);
        is_async = lua_toboolean(L_, -1);
      }
      lua_settop(L_, lua_gettop(L_) - 2);
      if (is_async && lua_getupvalue(L_, idx, 1) && lua_type(L_, -1) == LUA_TFUNCTION) {
        lua_replace(L_, -2);  // describe the body instead
      } else if (is_async) {
        lua_pop(L_, 1);
      }
    }
    lua_getinfo(L_, ">S", &ar);
    std::string r = std::string(is_async ? "async function: " : "function: ") + address(p);
    if (*ar.what == 'C')
      r += " (builtin)";
    else
      r += " (" + std::string(ar.short_src) + ":" + std::to_string(ar.linedefined) + ")";
    return r;
  }

  std::string thread(int idx) {
    lua_State* co = lua_tothread(L_, idx);
    const char* status;
    lua_Debug ar;
    if (co == L_)
      status = "running";
    else if (lua_status(co) == LUA_YIELD)
      status = "suspended";
    else if (lua_status(co) != LUA_OK)
      status = "dead";
    else if (lua_getstack(co, 0, &ar))
      status = "normal";
    else
      status = lua_gettop(co) == 0 ? "dead" : "suspended";
    return "thread: " + address(co) + " (" + status + ")";
  }

  std::string key(int idx) {
    if (lua_type(L_, idx) == LUA_TSTRING) {
      size_t n;
      const char* s = lua_tolstring(L_, idx, &n);
      if (is_identifier(s, n)) return std::string(s, n);
    }
    std::string k = lua_type(L_, idx) == LUA_TTABLE ? tostring(idx) : value(idx, 0);
    return "[" + k + "]";
  }

  // Sort rank of a key: numbers, strings, booleans, then the rest.
  static int rank(int type) {
    switch (type) {
      case LUA_TNUMBER: return 0;
      case LUA_TSTRING: return 1;
      case LUA_TBOOLEAN: return 2;
      default: return 3;
    }
  }

  std::string table(int idx, size_t indent) {
    lua_pushvalue(L_, idx);
    if (lua_rawget(L_, path_) != LUA_TNIL) {
      lua_pop(L_, 1);
      return "<cycle>";
    }
    lua_pop(L_, 1);
    std::string prefix;  // a class name (metatable field __name)
    if (int t = luaL_getmetafield(L_, idx, "__name"); t != LUA_TNIL) {
      if (t == LUA_TSTRING) prefix = std::string(lua_tostring(L_, -1)) + " ";
      lua_pop(L_, 1);
    }
    if (depth_ >= kMaxDepth) return prefix + "{...}";
    lua_pushvalue(L_, idx);
    lua_pushboolean(L_, 1);
    lua_rawset(L_, path_);
    depth_++;

    std::vector<std::string> items;
    size_t more = 0;
    // The array part, 1..n.
    lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L_, idx));
    for (lua_Integer i = 1; i <= n; i++) {
      if (items.size() >= static_cast<size_t>(kMaxItems) || chars_ > kMaxChars) {
        more += static_cast<size_t>(n - i + 1);
        break;
      }
      lua_rawgeti(L_, idx, i);
      std::string v = value(-1, indent + 2);
      chars_ += v.size();
      items.push_back(std::move(v));
      lua_pop(L_, 1);
    }
    // The other keys, sorted: collect them in a Lua array to keep them alive.
    lua_newtable(L_);
    int keys = lua_gettop(L_);
    int nkeys = 0;
    lua_pushnil(L_);
    while (lua_next(L_, idx)) {
      lua_pop(L_, 1);
      if (lua_isinteger(L_, -1)) {
        lua_Integer k = lua_tointeger(L_, -1);
        if (k >= 1 && k <= n) continue;
      }
      lua_pushvalue(L_, -1);
      lua_rawseti(L_, keys, ++nkeys);
    }
    std::vector<int> order(nkeys);
    for (int i = 0; i < nkeys; i++) order[i] = i + 1;
    if (nkeys > 1 && nkeys <= 5000) {
      std::vector<std::pair<int, std::string>> sortkey(nkeys + 1);
      for (int i = 1; i <= nkeys; i++) {
        lua_rawgeti(L_, keys, i);
        int t = lua_type(L_, -1);
        std::string s;
        if (t == LUA_TNUMBER) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%030.6f", lua_tonumber(L_, -1) + 1e20);
          s = buf;
        } else if (t == LUA_TSTRING) {
          s = lua_tostring(L_, -1);
        } else if (t == LUA_TBOOLEAN) {
          s = lua_toboolean(L_, -1) ? "1" : "0";
        } else {
          s = std::string(lua_typename(L_, t)) + address(lua_topointer(L_, -1));
        }
        sortkey[i] = {rank(t), std::move(s)};
        lua_pop(L_, 1);
      }
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sortkey[a] < sortkey[b]; });
    }
    for (int i : order) {
      if (items.size() >= static_cast<size_t>(kMaxItems) || chars_ > kMaxChars) {
        more++;
        continue;
      }
      lua_rawgeti(L_, keys, i);
      lua_pushvalue(L_, -1);
      lua_rawget(L_, idx);
      std::string item = key(-2) + " = " + value(-1, indent + 2);
      chars_ += item.size();
      items.push_back(std::move(item));
      lua_pop(L_, 2);
    }
    lua_pop(L_, 1);  // keys
    if (more) items.push_back("... (" + std::to_string(more) + " more)");

    depth_--;
    lua_pushvalue(L_, idx);
    lua_pushnil(L_);
    lua_rawset(L_, path_);

    if (items.empty()) return prefix + "{}";
    size_t total = indent + prefix.size() + 2;
    bool multiline = false;
    for (auto& it : items) {
      total += it.size() + 2;
      if (it.find('\n') != std::string::npos) multiline = true;
    }
    if (!multiline && total <= kLineWidth) {
      std::string r = prefix + "{";
      for (size_t i = 0; i < items.size(); i++) r += (i ? ", " : "") + items[i];
      return r + "}";
    }
    std::string pad(indent + 2, ' ');
    std::string r = prefix + "{\n";
    for (auto& it : items) r += pad + it + ",\n";
    return r + std::string(indent, ' ') + "}";
  }

  lua_State* L_;
  int path_;
  int depth_ = 0;
  size_t chars_ = 0;
};

}  // namespace

std::string quote_string(const char* s, size_t len) {
  std::string r = "\"";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': r += "\\\""; break;
      case '\\': r += "\\\\"; break;
      case '\n': r += "\\n"; break;
      case '\r': r += "\\r"; break;
      case '\t': r += "\\t"; break;
      default:
        if (c < 32 || c == 127) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%d", c);
          r += buf;
        } else {
          r += static_cast<char>(c);
        }
    }
  }
  return r + "\"";
}

std::string format_value(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 40, "formatting a result");
  Printer p(L);
  std::string r = p.value(idx, 0);
  if (r.size() > kMaxChars + 4000) r = r.substr(0, kMaxChars) + "\n... (output truncated)";
  return r;
}

}  // namespace luasync::repl
