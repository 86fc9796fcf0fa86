// catalog.cpp: see catalog.h.
#include "catalog.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "asyncio_lib.h"
#include "embedded.h"
#include "loop_lib.h"
#include "sandbox.h"

namespace luasync::learn {

namespace fs = std::filesystem;

std::string lessons_dir_from_env() {
  const char* d = std::getenv("LUASYNC_LESSONS");
  return d ? d : "";
}

// The absolute path of an executable program: `name` itself if it has a
// slash, else found on PATH; "" if there is none.
static std::string find_program(const std::string& name) {
  auto runnable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return name[0] == '/' && runnable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string d = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!d.empty() && d[0] == '/' && runnable(d + "/" + name)) return d + "/" + name;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

Exercise* Catalog::find_exercise(const std::string& name) {
  for (auto& e : exercises)
    if (e.name == name) return &e;
  return nullptr;
}

const Lesson* Catalog::find_lesson(const std::string& key) const {
  for (const auto& l : lessons)
    if (l.dir == key) return &l;
  // "1" or "01": the number prefix.
  if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit)) {
    int n = std::atoi(key.c_str());
    for (const auto& l : lessons)
      if (std::atoi(l.dir.c_str()) == n && isdigit(static_cast<unsigned char>(l.dir[0]))) return &l;
  }
  // "why-async": the directory without its number.
  for (const auto& l : lessons) {
    auto dash = l.dir.find('-');
    if (dash != std::string::npos && l.dir.substr(dash + 1) == key) return &l;
  }
  return nullptr;
}

Engine::~Engine() {
  if (L_) lua_close(L_);
}

bool Engine::open(const std::string& lessons_dir, std::string* err) {
  if (!load_files(lessons_dir, err)) return false;
  if (!create_state(err)) return false;
  return build_catalog(err);
}

// ---------------------------------------------------------------- files

bool Engine::load_files(const std::string& dir, std::string* err) {
  if (dir.empty()) {
    catalog_.origin = "built in";
    for (const EmbeddedChunk* c = embedded_lesson_files(); c->name; c++) files_[c->name].assign(c->code, c->size);
    return true;
  }
  catalog_.origin = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    *err = "the lessons directory " + dir + " does not exist";
    return false;
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    if (ext != ".md" && ext != ".lua" && ext != ".out") continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files_[fs::relative(it->path(), dir, ec).generic_string()] = ss.str();
  }
  if (ec) {
    *err = "cannot read the lessons directory " + dir + ": " + ec.message();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- state

bool Engine::create_state(std::string* err) {
  L_ = sandbox_new_state();
  if (!L_) {
    *err = "cannot create a Lua state (out of memory)";
    return false;
  }
  lua_State* L = L_;
  luaL_openlibs(L);
  open_luasync_globals(L);

  const EmbeddedChunk* c = embedded_learn_chunks();
  while (c->name && std::strcmp(c->name, "@[learn]/checker.lua") != 0) c++;
  if (!c->name) {
    *err = "the checker is missing from this build";
    return false;
  }
  if (luaL_loadbufferx(L, c->code, c->size, c->name, "b") != LUA_OK) {
    *err = lua_tostring(L, -1);
    return false;
  }
  sandbox_push_natives(L);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    *err = std::string("the checker failed to load: ") + lua_tostring(L, -1);
    return false;
  }
  checker_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  checks_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return true;
}

void Engine::push_checker() { lua_rawgeti(L_, LUA_REGISTRYINDEX, checker_ref_); }

void Engine::push_checks(const Exercise& ex) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, checks_ref_);
  lua_getfield(L_, -1, ex.name.c_str());
  lua_remove(L_, -2);
}

// ---------------------------------------------------------------- metadata

// Runs a metadata file (index.lua, lesson.lua, a check file) and leaves its
// value on the stack; on error returns false with the message.
static bool run_file(lua_State* L, const std::string& code, const std::string& path, std::string* err) {
  std::string chunkname = "@lessons/" + path;
  if (luaL_loadbufferx(L, code.data(), code.size(), chunkname.c_str(), "t") != LUA_OK ||
      lua_pcall(L, 0, 1, 0) != LUA_OK) {
    *err = lua_isstring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_pop(L, 1);
    return false;
  }
  return true;
}

static std::string field_string(lua_State* L, int idx, const char* key) {
  lua_getfield(L, idx, key);
  std::string s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  return s;
}

bool Engine::build_catalog(std::string* err) {
  lua_State* L = L_;
  int top = lua_gettop(L);
  std::vector<std::string> order;
  auto idx = files_.find("index.lua");
  if (idx != files_.end()) {
    std::string e;
    if (!run_file(L, idx->second, "index.lua", &e) || !lua_istable(L, -1)) {
      *err = "lessons/index.lua: " + (e.empty() ? "should return an array of lesson directories" : e);
      lua_settop(L, top);
      return false;
    }
    for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
      order.push_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_settop(L, top);
    // A lesson the index forgot would silently never be shown.
    std::set<std::string> listed(order.begin(), order.end());
    for (const auto& [path, _] : files_) {
      auto slash = path.find('/');
      if (slash != std::string::npos && path.substr(slash + 1) == "lesson.lua" && !listed.count(path.substr(0, slash)))
        catalog_.problems.push_back("lessons/" + path.substr(0, slash) + " is not in lessons/index.lua");
    }
  } else {
    // No index: every directory with a lesson.lua, in name order.
    std::set<std::string> dirs;
    for (const auto& [path, _] : files_) {
      auto slash = path.find('/');
      if (slash != std::string::npos && path.substr(slash + 1) == "lesson.lua") dirs.insert(path.substr(0, slash));
    }
    order.assign(dirs.begin(), dirs.end());
  }

  std::set<std::string> names;
  for (const std::string& dir : order) {
    auto meta = files_.find(dir + "/lesson.lua");
    if (meta == files_.end()) {
      catalog_.problems.push_back("lessons/" + dir + "/lesson.lua is missing");
      continue;
    }
    std::string e;
    if (!run_file(L, meta->second, dir + "/lesson.lua", &e) || !lua_istable(L, -1)) {
      catalog_.problems.push_back("lessons/" + dir + "/lesson.lua: " + (e.empty() ? "should return a table" : e));
      lua_settop(L, top);
      continue;
    }
    Lesson lesson;
    lesson.dir = dir;
    int t = lua_gettop(L);
    lesson.title = field_string(L, t, "title");
    lesson.summary = field_string(L, t, "summary");
    if (lesson.title.empty()) lesson.title = dir;
    auto text = files_.find(dir + "/lesson.md");
    if (text != files_.end())
      lesson.text = text->second;
    else
      catalog_.problems.push_back("lessons/" + dir + "/lesson.md is missing");
    size_t lesson_index = catalog_.lessons.size();

    lua_getfield(L, t, "exercises");
    int exs = lua_gettop(L);
    for (lua_Integer i = 1; lua_istable(L, exs) && lua_rawgeti(L, exs, i) == LUA_TTABLE; i++) {
      int x = lua_gettop(L);
      Exercise ex;
      ex.name = field_string(L, x, "name");
      ex.title = field_string(L, x, "title");
      ex.lesson = lesson_index;
      ex.lesson_dir = dir;
      if (ex.name.empty() || ex.name.find_first_of("/\\. \t") != std::string::npos) {
        catalog_.problems.push_back("lessons/" + dir + "/lesson.lua: exercise " + std::to_string(i) +
                                    " needs a name (letters, digits, _ and -)");
        lua_settop(L, exs);
        continue;
      }
      if (!names.insert(ex.name).second) {
        catalog_.problems.push_back("lessons/" + dir + "/lesson.lua: the exercise name '" + ex.name +
                                    "' is used twice (names are unique across lessons)");
        lua_settop(L, exs);
        continue;
      }
      if (ex.title.empty()) ex.title = ex.name;
      lua_getfield(L, x, "hints");
      for (lua_Integer h = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, h) == LUA_TSTRING; h++) {
        ex.hints.push_back(lua_tostring(L, -1));
        lua_pop(L, 1);
      }
      lua_settop(L, x);
      lua_getfield(L, x, "grants");
      if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "http");
        ex.grants.http = lua_toboolean(L, -1);
        lua_getfield(L, -2, "fs");
        ex.grants.fs = lua_toboolean(L, -1);
        lua_getfield(L, -3, "subprocess");
        ex.grants.subprocess = lua_toboolean(L, -1);
        lua_getfield(L, -4, "programs");
        for (lua_Integer i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
          const char* name = lua_tostring(L, -1);
          std::string path = name ? find_program(name) : "";
          if (path.empty())
            catalog_.problems.push_back("lessons/" + dir + "/lesson.lua: " + ex.name + " names the program '" +
                                        (name ? name : "?") + "', which is not installed (not on PATH)");
          else
            ex.grants.programs.emplace_back(name, path);
          lua_pop(L, 1);
        }
        if (!ex.grants.programs.empty() && !ex.grants.subprocess)
          catalog_.problems.push_back("lessons/" + dir + "/lesson.lua: " + ex.name +
                                      " names programs but has no subprocess grant");
      }
      lua_settop(L, exs);
      auto get = [&](const char* sub, std::string* out, bool* has) {
        auto f = files_.find(dir + "/" + sub + "/" + ex.name + ".lua");
        *has = f != files_.end();
        if (*has) *out = f->second;
      };
      get("exercises", &ex.starter, &ex.has_starter);
      get("solutions", &ex.solution, &ex.has_solution);
      get("checks", &ex.checks_src, &ex.has_checks);
      // The variants: wrong/NAME/*.lua and solutions/NAME/*.lua.
      for (int kind = 0; kind < 2; kind++) {
        std::string prefix = dir + (kind == 0 ? "/wrong/" : "/solutions/") + ex.name + "/";
        for (auto f = files_.lower_bound(prefix); f != files_.end() && f->first.compare(0, prefix.size(), prefix) == 0;
             ++f) {
          if (f->first.size() < 4 || f->first.compare(f->first.size() - 4, 4, ".lua") != 0) continue;
          Variant v;
          v.path = f->first;
          v.code = f->second;
          std::istringstream in(v.code);
          std::string line;
          while (std::getline(in, line) && line.compare(0, 2, "--") == 0) {
            std::string text = line.substr(line.find_first_not_of("- ") == std::string::npos
                                               ? line.size()
                                               : line.find_first_not_of("- "));
            if (v.what.empty()) v.what = text;
            if (text.compare(0, 7, "Fails: ") == 0) v.fails.push_back(text.substr(7));
          }
          (kind == 0 ? ex.wrong : ex.right).push_back(std::move(v));
        }
      }
      if (!ex.has_starter) catalog_.problems.push_back("lessons/" + dir + "/exercises/" + ex.name + ".lua is missing");
      if (!ex.has_checks) catalog_.problems.push_back("lessons/" + dir + "/checks/" + ex.name + ".lua is missing");
      lesson.exercises.push_back(catalog_.exercises.size());
      catalog_.exercises.push_back(std::move(ex));
    }
    lua_settop(L, top);

    std::string prefix = dir + "/examples/";
    for (const auto& [path, code] : files_) {
      if (path.compare(0, prefix.size(), prefix) != 0 || path.size() < 4 ||
          path.compare(path.size() - 4, 4, ".lua") != 0 || path.find('/', prefix.size()) != std::string::npos)
        continue;
      Example ex;
      ex.path = path;
      ex.name = path.substr(prefix.size(), path.size() - prefix.size() - 4);
      ex.code = code;
      auto out = files_.find(path.substr(0, path.size() - 4) + ".out");
      ex.has_expected = out != files_.end();
      if (ex.has_expected) ex.expected = out->second;
      lesson.examples.push_back(std::move(ex));
    }
    catalog_.lessons.push_back(std::move(lesson));
  }
  if (catalog_.lessons.empty()) {
    *err = catalog_.origin == "built in" ? "this luasync was built without lessons"
                                         : "no lessons in " + catalog_.origin + " (no index.lua, no */lesson.lua)";
    if (!catalog_.problems.empty()) *err += ": " + catalog_.problems.front();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- checks

void Engine::load_checks(Exercise& ex) {
  if (ex.checks_loaded) return;
  ex.checks_loaded = true;
  if (!ex.has_checks) {
    ex.problem = "its check file lessons/" + ex.lesson_dir + "/checks/" + ex.name + ".lua is missing";
    return;
  }
  lua_State* L = L_;
  int top = lua_gettop(L);
  std::string e;
  std::string path = ex.lesson_dir + "/checks/" + ex.name + ".lua";
  if (!run_file(L, ex.checks_src, path, &e)) {
    ex.problem = "its check file does not load: " + e;
    return;
  }
  int arr = lua_gettop(L);
  if (!lua_istable(L, arr)) {
    ex.problem = "its check file lessons/" + path + " should return an array of checks";
    lua_settop(L, top);
    return;
  }
  for (lua_Integer i = 1; lua_rawgeti(L, arr, i) != LUA_TNIL; i++) {
    CheckInfo c;
    bool ok = lua_istable(L, -1);
    if (ok) {
      c.name = field_string(L, -1, "name");
      lua_getfield(L, -1, "points");
      if (lua_type(L, -1) == LUA_TNUMBER) c.points = lua_tonumber(L, -1);
      lua_pop(L, 1);
      lua_getfield(L, -1, "run");
      ok = lua_isfunction(L, -1) && !c.name.empty() && c.points >= 0;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (!ok) {
      ex.problem = "lessons/" + path + ": check " + std::to_string(i) +
                   " needs a name, a function `run` and non-negative points";
      ex.checks.clear();
      lua_settop(L, top);
      return;
    }
    ex.checks.push_back(c);
  }
  if (ex.checks.empty()) {
    ex.problem = "lessons/" + path + " has no checks";
    lua_settop(L, top);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, checks_ref_);
  lua_pushvalue(L, arr);
  lua_setfield(L, -2, ex.name.c_str());
  lua_settop(L, top);
}

}  // namespace luasync::learn
