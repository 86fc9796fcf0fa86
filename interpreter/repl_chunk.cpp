// repl_chunk.cpp: checking and compiling REPL inputs.
//
// Locals that survive across inputs (docs/repl.md, "Locals"). Each input is
// compiled as the body of a function nested in a small prologue:
//
//   local __luasync_bind = ...; local a, b; return function(...) <input>
//   end
//
// where a, b are the session locals the input mentions. The prologue's
// locals are upvalues of the body; before the body runs, each of those
// upvalues is joined (lua_upvaluejoin) to the upvalue cell the session keeps
// for that name, so the body reads and writes the very variable an earlier
// input declared, and closures made by either share it.
//
// The input's own top-level `local` statements are left as Lua wrote them
// (so `local print = print` and scoping keep their exact meaning). To record
// them, a call
//
//   ;__luasync_bind(function() return a, b end)
//
// is inserted before each top-level `local` and `return`, and at the end of
// the input: the closure captures the cells of the locals declared so far,
// and the binder files each one under its name. Nothing else in the input
// changes, except that `<const>` attributes of top-level locals are blanked
// (a compile-time constant has no cell to keep); `<close>` locals are not
// kept (they close when the input ends). All edits stay on the lines they
// replace, so line numbers in messages are the user's.
//
// A top-level local is recorded when the input runs past the next top-level
// `local` or `return`, or to its end; an input that fails before that does
// not keep it.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "repl.h"
#include "scope.h"
#include "trampoline.h"

namespace luasync::repl {

namespace {

char kCellsKey;  // registry: name -> {closure, upvalue index}

// ---------------------------------------------------------------- scanner

// Just enough of Lua's lexer to find names and keywords outside strings,
// comments and numbers.
struct Token {
  enum Kind { Name, Symbol, Other, End } kind = End;
  size_t pos = 0, len = 0;
};

class Scanner {
 public:
  explicit Scanner(const std::string& s) : s_(s) {}

  Token next() {
    if (has_peek_) {
      has_peek_ = false;
      return peek_;
    }
    return scan();
  }
  void push_back(const Token& t) {
    peek_ = t;
    has_peek_ = true;
  }
  std::string text(const Token& t) const { return s_.substr(t.pos, t.len); }
  bool is(const Token& t, const char* word) const {
    size_t n = std::strlen(word);
    return t.len == n && s_.compare(t.pos, n, word) == 0;
  }

 private:
  // At s_[p] == '[': the level of a long bracket "[==[", or -1.
  int long_level(size_t p) const {
    size_t q = p + 1;
    int level = 0;
    while (q < s_.size() && s_[q] == '=') q++, level++;
    return q < s_.size() && s_[q] == '[' ? level : -1;
  }
  size_t skip_long(size_t p, int level) const {
    std::string close = "]" + std::string(level, '=') + "]";
    size_t e = s_.find(close, p + level + 2);
    return e == std::string::npos ? s_.size() : e + close.size();
  }

  Token scan() {
    const size_t n = s_.size();
    size_t& p = p_;
    for (;;) {
      while (p < n && std::isspace(static_cast<unsigned char>(s_[p]))) p++;
      if (p + 1 < n && s_[p] == '-' && s_[p + 1] == '-') {
        p += 2;
        int level = p < n && s_[p] == '[' ? long_level(p) : -1;
        if (level >= 0) {
          p = skip_long(p, level);
        } else {
          while (p < n && s_[p] != '\n') p++;
        }
        continue;
      }
      break;
    }
    Token t;
    t.pos = p;
    if (p >= n) return t;
    char c = s_[p];
    if (c == '"' || c == '\'') {
      p++;
      while (p < n && s_[p] != c && s_[p] != '\n') p += s_[p] == '\\' ? 2 : 1;
      p = std::min(p + 1, n);
      t.kind = Token::Other;
    } else if (c == '[' && long_level(p) >= 0) {
      p = skip_long(p, long_level(p));
      t.kind = Token::Other;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && p + 1 < n && std::isdigit(static_cast<unsigned char>(s_[p + 1])))) {
      const char* expo = (c == '0' && p + 1 < n && (s_[p + 1] == 'x' || s_[p + 1] == 'X')) ? "Pp" : "Ee";
      while (p < n) {
        char d = s_[p];
        if (std::strchr(expo, d) && p + 1 < n && (s_[p + 1] == '+' || s_[p + 1] == '-'))
          p += 2;
        else if (std::isalnum(static_cast<unsigned char>(d)) || d == '.' || d == '_')
          p++;
        else
          break;
      }
      t.kind = Token::Other;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (p < n && (std::isalnum(static_cast<unsigned char>(s_[p])) || s_[p] == '_')) p++;
      t.kind = Token::Name;
    } else {
      // Two-character symbols that matter here: "==" (not an '='), "<=", ">=".
      p++;
      if (p < n && s_[p] == '=' && std::strchr("=<>~", c)) p++;
      t.kind = Token::Symbol;
    }
    t.len = p - t.pos;
    return t;
  }

  const std::string& s_;
  size_t p_ = 0;
  Token peek_;
  bool has_peek_ = false;
};

const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {
      "and",  "break", "do",    "else", "elseif", "end",   "false", "for",  "function", "goto", "if",
      "in",   "local", "nil",   "not",  "or",     "repeat", "return", "then", "true",    "until", "while"};
  return k;
}

struct Edit {
  size_t pos;
  size_t erase;  // characters blanked (newlines kept)
  std::string insert;
};

struct Scan {
  std::set<std::string> names;        // every identifier in the input
  std::vector<std::string> declared;  // top-level locals, in order
  std::vector<Edit> edits;
};

std::string bind_call(const std::vector<std::string>& names) {
  std::string s = ";__luasync_bind(function() return ";
  for (size_t i = 0; i < names.size(); i++) s += (i ? ", " : "") + names[i];
  return s + " end)";
}

void add_declared(Scan* sc, const std::string& name) {
  for (auto& d : sc->declared)
    if (d == name) return;
  sc->declared.push_back(name);
}

// Scans the input: names, top-level locals, and the edits that record them.
Scan scan_input(const std::string& src, bool statements) {
  Scan sc;
  Scanner s(src);
  int depth = 0;
  bool returned = false;
  for (Token t = s.next(); t.kind != Token::End; t = s.next()) {
    if (t.kind != Token::Name) continue;
    std::string w = s.text(t);
    if (!keywords().count(w)) {
      sc.names.insert(w);
      continue;
    }
    if (w == "function" || w == "do" || w == "if" || w == "repeat") {
      depth++;
    } else if (w == "end" || w == "until") {
      if (depth > 0) depth--;
    } else if (statements && depth == 0 && w == "return") {
      if (!sc.declared.empty()) sc.edits.push_back({t.pos, 0, bind_call(sc.declared)});
      returned = true;
    } else if (statements && depth == 0 && w == "local") {
      if (!sc.declared.empty()) sc.edits.push_back({t.pos, 0, bind_call(sc.declared)});
      Token n = s.next();
      if (n.kind == Token::Name && s.is(n, "function")) {
        depth++;
        Token f = s.next();
        if (f.kind == Token::Name) {
          sc.names.insert(s.text(f));
          add_declared(&sc, s.text(f));
        } else {
          s.push_back(f);
        }
        continue;
      }
      // local name [<attrib>] {, name [<attrib>]}
      while (n.kind == Token::Name && !keywords().count(s.text(n))) {
        std::string name = s.text(n);
        sc.names.insert(name);
        bool keep = true;
        Token a = s.next();
        if (a.kind == Token::Symbol && s.is(a, "<")) {
          Token attr = s.next();
          Token close = s.next();
          if (attr.kind == Token::Name && close.kind == Token::Symbol && s.is(close, ">")) {
            if (s.is(attr, "close"))
              keep = false;
            else
              sc.edits.push_back({a.pos, close.pos + close.len - a.pos, ""});  // <const>
            a = s.next();
          } else {
            s.push_back(close);  // not an attribute: leave it to the compiler
            a = attr;
          }
        }
        if (keep && name != "_ENV") add_declared(&sc, name);
        if (a.kind == Token::Symbol && s.is(a, ",")) {
          n = s.next();
          continue;
        }
        n = a;
        break;
      }
      s.push_back(n);  // '=' or the next statement
    }
  }
  if (statements && !returned && !sc.declared.empty())
    sc.edits.push_back({src.size(), 0, "\n" + bind_call(sc.declared)});
  return sc;
}

std::string apply_edits(std::string src, const std::vector<Edit>& edits) {
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    for (size_t i = it->pos; i < it->pos + it->erase && i < src.size(); i++)
      if (src[i] != '\n') src[i] = ' ';
    src.insert(it->pos, it->insert);
  }
  return src;
}

// Pushes the cells table, creating it.
void push_cells(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kCellsKey) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kCellsKey);
}

// __luasync_bind(closure): files each upvalue of the closure (the cells of
// the input's top-level locals) under its name.
int l_bind(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  push_cells(L);
  int cells = lua_gettop(L);
  for (int i = 1;; i++) {
    const char* name = lua_getupvalue(L, 1, i);
    if (!name) break;
    lua_pop(L, 1);
    if (std::strcmp(name, "_ENV") == 0 || *name == '\0') continue;
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, i);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, cells, name);
  }
  return 0;
}

// Joins the upvalues of the function at fidx to the session's cells.
void join_cells(lua_State* L, int fidx) {
  fidx = lua_absindex(L, fidx);
  push_cells(L);
  int cells = lua_gettop(L);
  for (int i = 1;; i++) {
    const char* name = lua_getupvalue(L, fidx, i);
    if (!name) break;
    lua_pop(L, 1);
    if (lua_getfield(L, cells, name) == LUA_TTABLE) {
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      int n = static_cast<int>(lua_tointeger(L, -1));
      lua_upvaluejoin(L, fidx, i, -2, n);
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

bool ends_with_eof(const char* msg) {
  static const char kMark[] = "<eof>";
  size_t n = std::strlen(msg), m = sizeof kMark - 1;
  return n >= m && std::strcmp(msg + n - m, kMark) == 0;
}

// The position of the last ';' at the top level of src that has a statement
// after it, or npos.
size_t last_top_semicolon(const std::string& src) {
  Scanner s(src);
  int depth = 0;
  size_t last = std::string::npos;
  for (Token t = s.next(); t.kind != Token::End; t = s.next()) {
    if (t.kind == Token::Symbol && depth == 0 && s.is(t, ";")) {
      if (src.find_first_not_of(" \t\r\n;", t.pos) != std::string::npos) last = t.pos;
    } else if (t.kind == Token::Name) {
      if (s.is(t, "function") || s.is(t, "do") || s.is(t, "if") || s.is(t, "repeat"))
        depth++;
      else if ((s.is(t, "end") || s.is(t, "until")) && depth > 0)
        depth--;
    }
  }
  return last;
}

bool compiles(lua_State* L, const std::string& code, const char* chunkname, int* status, std::string* msg) {
  *status = luaL_loadbufferx(L, code.data(), code.size(), chunkname, "t");
  if (*status == LUA_OK) {
    lua_pop(L, 1);
    return true;
  }
  if (msg) {
    const char* m = lua_tostring(L, -1);
    *msg = m ? m : "syntax error";
  }
  lua_pop(L, 1);
  return false;
}

}  // namespace

Check check_input(lua_State* L, const std::string& src, const char* chunkname, bool interactive,
                  std::string* code, std::string* message) {
  int st;
  std::string msg;
  bool return_incomplete = false;
  if (interactive) {  // an expression?
    *code = "return " + src;
    if (compiles(L, *code, chunkname, &st, &msg)) return Check::Ok;
    return_incomplete = st == LUA_ERRSYNTAX && ends_with_eof(msg.c_str());
  }
  // Statements, preferably with the part after the last top-level ';'
  // returned, so that "t = {}; t.x = 1; t" and "f(); g()" show a result.
  bool ok = compiles(L, src, chunkname, &st, message);
  if (!ok && st != LUA_ERRSYNTAX) return Check::Error;
  if (interactive) {
    size_t semi = last_top_semicolon(src);
    if (semi != std::string::npos) {
      *code = src.substr(0, semi + 1) + " return " + src.substr(semi + 1);
      int st2;
      if (compiles(L, *code, chunkname, &st2, nullptr)) return Check::Ok;
    }
  }
  *code = src;
  if (ok) return Check::Ok;
  code->clear();
  return ends_with_eof(message->c_str()) || return_incomplete ? Check::Incomplete : Check::Error;
}

namespace {

// load_input's C++ state, in a to-be-closed value: the Lua calls it makes
// (a cell's lookup, the prologue's call) may raise.
struct LoadState {
  std::string body;
  Scan sc;
  std::string decl;
  std::string attempts[2];
};

}  // namespace

bool load_input(lua_State* L, const char* body, size_t len, const char* chunkname) {
  int base = lua_gettop(L);
  lua_pushnil(L);                              // base + 1: the result
  LoadState& s = *push_scoped<LoadState>(L);  // base + 2
  s.body.assign(body, len);
  s.sc = scan_input(s.body, true);
  // The session locals this input mentions become the prologue's locals.
  push_cells(L);
  for (const auto& name : s.sc.names) {
    if (lua_getfield(L, -1, name.c_str()) == LUA_TTABLE) {
      if (!s.decl.empty()) s.decl += ", ";
      s.decl += name;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  {
    std::string prologue = "local __luasync_bind = ...; ";
    if (!s.decl.empty()) prologue += "local " + s.decl + "; ";
    prologue += "return function(...) ";
    // With the edits; without them if they broke it (a goto into a label
    // that had to end its block); bare if even the prologue is too much
    // (more upvalues than a function may have): then locals are not kept.
    s.attempts[0] = prologue + apply_edits(s.body, s.sc.edits) + "\nend";
    s.attempts[1] = prologue + s.body + "\nend";
  }
  bool ok = false;
  for (const auto& code : s.attempts) {
    if (luaL_loadbufferx(L, code.data(), code.size(), chunkname, "t") == LUA_OK) {
      push_fn<l_bind>(L);
      lua_call(L, 1, 1);  // the body function
      join_cells(L, -1);
      ok = true;
      break;
    }
    lua_pop(L, 1);
  }
  if (!ok) ok = luaL_loadbufferx(L, s.body.data(), s.body.size(), chunkname, "t") == LUA_OK;
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);  // closes the state
  return ok;
}

void push_session_locals(lua_State* L) {
  lua_newtable(L);
  int out = lua_gettop(L);
  push_cells(L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TTABLE) {
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      int n = static_cast<int>(lua_tointeger(L, -1));
      lua_pop(L, 1);
      if (lua_getupvalue(L, -1, n)) {
        lua_pushvalue(L, -4);  // the name
        lua_insert(L, -2);
        lua_rawset(L, out);
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

}  // namespace luasync::repl
