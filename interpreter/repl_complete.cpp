// repl_complete.cpp: tab completion.
//
// The word before the cursor is a path of names: `pri`, `asyncio.ga`,
// `q:pu`, `a.b.c`. Its head is looked up among the session locals, then the
// globals; each `.name` as a field. Fields are read raw, following __index
// only where it is a table (the usual class/method layout: `obj:me<TAB>`
// finds methods through the metatable's __index table, also for userdata
// like tasks and for strings), so completing never runs user code. After
// `:` only functions are offered. Functions complete with "(" appended.
// The list shown for several candidates holds just the last names.
// At the start of a line `:` completes REPL commands; `:load ` file names.
// All Lua work runs in one protected call: no error can cross readline.
#include <readline/readline.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "repl.h"
#include "scope.h"
#include "trampoline.h"

namespace luasync::repl {

namespace {

lua_State* g_L = nullptr;
std::vector<std::string> g_matches;
size_t g_next = 0;
constexpr size_t kMaxCandidates = 2000;
constexpr int kMaxIndexChain = 8;

const char* const kCommands[] = {":help", ":tasks", ":clock", ":load", ":reset", ":quit", nullptr};
const char* const kKeywords[] = {"and",   "break",  "do",     "else", "elseif", "end",  "false", "for",
                                 "function", "goto", "if",     "in",   "local",  "nil",  "not",   "or",
                                 "repeat", "return", "then",   "true", "until",  "while", nullptr};

bool is_identifier(const char* s, size_t n) {
  if (n == 0 || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (size_t i = 1; i < n; i++)
    if (!(std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) return false;
  return true;
}

bool callable(lua_State* L, int idx) {
  if (lua_type(L, idx) == LUA_TFUNCTION) return true;
  if (!lua_getmetatable(L, idx)) return false;
  bool c = lua_getfield(L, -1, "__call") != LUA_TNIL;
  lua_pop(L, 2);
  return c;
}

// Pushes the __index table of the value at idx's metatable (strings too:
// they share one), or returns false.
bool push_index_table(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_pushliteral(L, "__index");
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) return true;
  lua_pop(L, 1);
  return false;
}

// Pushes field `name` of the value at idx (raw, then through __index tables),
// or returns false.
bool push_field(lua_State* L, int idx, const std::string& name) {
  idx = lua_absindex(L, idx);
  lua_pushvalue(L, idx);
  for (int depth = 0; depth < kMaxIndexChain; depth++) {
    int cur = lua_gettop(L);
    if (lua_type(L, cur) == LUA_TTABLE) {
      lua_pushlstring(L, name.data(), name.size());
      if (lua_rawget(L, cur) != LUA_TNIL) {
        lua_remove(L, cur);
        return true;
      }
      lua_pop(L, 1);
    }
    if (!push_index_table(L, cur)) break;
    lua_remove(L, cur);
  }
  lua_pop(L, 1);
  return false;
}

struct Collector {
  lua_State* L;
  std::string prefix;   // what precedes the partial name ("asyncio.")
  std::string partial;  // the partial name ("ga")
  bool methods_only = false;
  std::set<std::string> out;

  void add(const char* name, size_t n, bool is_function) {
    if (out.size() >= kMaxCandidates || !is_identifier(name, n)) return;
    if (n < partial.size() || std::memcmp(name, partial.data(), partial.size()) != 0) return;
    out.insert(prefix + std::string(name, n) + (is_function ? "(" : ""));
  }

  // The string keys of the value at idx and of its __index tables.
  void keys_of(int idx) {
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    for (int depth = 0; depth < kMaxIndexChain; depth++) {
      int cur = lua_gettop(L);
      if (lua_type(L, cur) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, cur)) {
          if (lua_type(L, -2) == LUA_TSTRING) {
            bool fn = callable(L, -1);
            if (!methods_only || fn) {
              size_t n;
              const char* k = lua_tolstring(L, -2, &n);
              add(k, n, fn);
            }
          }
          lua_pop(L, 1);
        }
      }
      if (!push_index_table(L, cur)) break;
      lua_remove(L, cur);
    }
    lua_pop(L, 1);
  }
};

// Pushes the value of a name as the input would see it: session local, else global.
void push_name(lua_State* L, const std::string& name) {
  push_session_locals(L);
  if (lua_getfield(L, -1, name.c_str()) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 2);
  lua_pushglobaltable(L);
  if (!push_field(L, -1, name)) lua_pushnil(L);
  lua_remove(L, -2);
}

// l_collect's C++ state, in a to-be-closed value: looking names up may
// raise (a metamethod, out of memory).
struct CollectState {
  Collector c;
  std::string text, base, part;
};

int l_collect(lua_State* L) {
  lua_settop(L, 1);
  CollectState& s = *push_scoped<CollectState>(L);  // 2
  Collector& c = s.c;
  c.L = L;
  s.text = lua_tostring(L, 1);
  const std::string& text = s.text;
  size_t sep = text.find_last_of(".:");
  if (sep == std::string::npos) {
    c.partial = text;
    lua_pushglobaltable(L);
    c.keys_of(-1);
    push_session_locals(L);
    c.keys_of(-1);
    for (const char* const* k = kKeywords; *k; k++) c.add(*k, std::strlen(*k), false);
  } else {
    s.base = text.substr(0, sep);
    const std::string& base = s.base;
    c.prefix = text.substr(0, sep + 1);
    c.partial = text.substr(sep + 1);
    c.methods_only = text[sep] == ':';
    if (base.find(':') != std::string::npos) return 0;
    size_t start = 0, dot;
    bool first = true;
    do {
      dot = base.find('.', start);
      s.part = base.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (s.part.empty()) return 0;
      if (first) {
        push_name(L, s.part);
        first = false;
      } else if (!push_field(L, -1, s.part)) {
        return 0;
      }
      if (lua_isnil(L, -1)) return 0;
      start = dot + 1;
    } while (dot != std::string::npos);
    c.keys_of(-1);
  }
  g_matches.assign(c.out.begin(), c.out.end());
  return 0;
}

char* generator(const char*, int state) {
  if (state == 0) g_next = 0;
  if (g_next < g_matches.size()) return strdup(g_matches[g_next++].c_str());
  return nullptr;
}

char** attempt(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // no file names unless asked for
  rl_completion_append_character = '\0';
  g_matches.clear();
  std::string line(rl_line_buffer, static_cast<size_t>(rl_end));
  size_t first = line.find_first_not_of(" \t");
  bool command = first != std::string::npos && line[first] == ':' &&
                 (first + 1 >= line.size() || line[first + 1] != ':');  // not a ::label::
  if (command) {
    if (static_cast<size_t>(start) <= first) {
      for (const char* const* k = kCommands; *k; k++)
        if (std::strncmp(*k, text, std::strlen(text)) == 0) g_matches.push_back(std::string(*k) + " ");
      return rl_completion_matches(text, generator);
    }
    if (line.compare(first, 5, ":load") == 0) {
      rl_completion_append_character = ' ';
      return rl_completion_matches(text, rl_filename_completion_function);
    }
    return nullptr;
  }
  if (!g_L) return nullptr;
  // Not inside a string: count the quotes before the word.
  bool in_string = false;
  char quote = 0;
  for (int i = 0; i < start && i < rl_end; i++) {
    char ch = rl_line_buffer[i];
    if (in_string && ch == '\\') {
      i++;
    } else if (in_string && ch == quote) {
      in_string = false;
    } else if (!in_string && (ch == '"' || ch == '\'')) {
      in_string = true;
      quote = ch;
    }
  }
  if (in_string) return nullptr;
  lua_State* L = g_L;
  int top = lua_gettop(L);
  push_fn<l_collect>(L);
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) g_matches.clear();
  lua_settop(L, top);
  if (g_matches.empty()) return nullptr;
  return rl_completion_matches(text, generator);
}

// Lists candidates by their last name only ("gather(" for "asyncio.gather(").
void display(char** matches, int n, int) {
  std::vector<char*> shown(static_cast<size_t>(n) + 2, nullptr);
  int width = 0;
  for (int i = 0; i <= n; i++) {
    const char* m = matches[i];
    const char* cut = std::strrchr(m, '.');
    const char* colon = std::strrchr(m, ':');
    if (colon && (!cut || colon > cut) && colon != m) cut = colon;
    shown[i] = const_cast<char*>(cut && cut[1] ? cut + 1 : m);
    if (i > 0) width = std::max(width, static_cast<int>(std::strlen(shown[i])));
  }
  rl_display_match_list(shown.data(), n, width);
  rl_forced_update_display();
}

}  // namespace

void complete_set_state(lua_State* L) { g_L = L; }

void complete_install() {
  rl_attempted_completion_function = attempt;
  rl_completion_display_matches_hook = display;
  // '.' and ':' stay inside words, so "asyncio.ga" and "q:pu" are completed whole.
  rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(}),[]+-*/%^~#";
  rl_completion_query_items = 200;
  // A second Tab lists the candidates when the first could not extend the
  // word (an inputrc may say otherwise: it is read later and wins).
  rl_variable_bind("show-all-if-unmodified", "on");
}

}  // namespace luasync::repl
