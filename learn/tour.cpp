// tour.cpp: `luasync tour [--port N] [--no-open] [WORKSPACE]`, the front
// (see tour.h): the command line, the workspace, the token, and the natives
// learn/lua/tour.lua calls (each does its C++ work first, in a scope of its
// own, and only then pushes its result).
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "asyncio_lib.h"
#include "cli.h"
#include "embedded.h"
#include "recorder.h"
#include "runtime.h"
#include "tour.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {
// learn/web/* and the CodeMirror files from Debian's libjs-codemirror
// (learn/CMakeLists.txt).
const EmbeddedChunk* embedded_tour_web();
const EmbeddedChunk* embedded_codemirror();
}  // namespace luasync

namespace luasync::learn {

namespace {

const char* kTourUsage =
    "usage: luasync tour [--port N] [--no-open] [WORKSPACE]\n"
    "\n"
    "The lessons in your browser: each lesson's text, its examples and exercises\n"
    "in an editor, Run and Check (the same sandbox and checks as `luasync learn`),\n"
    "and after each run a picture of its tasks on the time axis.\n"
    "\n"
    "WORKSPACE is a learn workspace (default: the one this directory is in; if\n"
    "there is none, ./luasync-learn, made if needed). Your edits are saved to its\n"
    "exercise files, and your progress to its progress file, so `luasync learn` in\n"
    "a terminal and the tour can be used side by side.\n"
    "\n"
    "The server listens on 127.0.0.1 only, and answers only requests that carry\n"
    "the random token of the URL it prints. Ctrl-C stops it.\n"
    "\n"
    "options:\n"
    "  --port N          listen on port N (default: any free port)\n"
    "  --no-open         do not open the browser (just print the URL)\n"
    "  --lessons DIR     the lessons in DIR instead of the built-in ones\n"
    "  --time-limit S    CPU seconds each check may take (default 5; real time: 3 S + 5)\n"
    "  -h, --help        this help\n"
    "\n"
    "See docs/tour.md.\n";

// The lessons are read on first use, after the server listens: the page
// itself needs none of them, so it is served sooner.
struct Front {
  Workspace ws;
  std::string token;
  std::string lessons;
  bool open_browser = true;
  std::string error;  // why the lessons could not be read
  Catalog& catalog() {
    if (!opened) {
      opened = true;
      if (!engine_.open(lessons, &error)) error = "cannot read the lessons: " + error;
    }
    return engine_.catalog();
  }
  Engine& engine() {
    catalog();
    return engine_;
  }

 private:
  Engine engine_;
  bool opened = false;
};
Front* g_front = nullptr;
// The natives' results, built before anything is pushed.
std::string g_out;

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "luasync tour: %s\n(run `luasync tour --help` for usage)\n", msg.c_str());
  return 2;
}

std::string random_token() {
  unsigned char b[24];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "luasync tour: cannot make a random token: %s\n", std::strerror(errno));
      std::exit(1);
    }
    got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (unsigned char c : b) {
    t += hex[c >> 4];
    t += hex[c & 15];
  }
  return t;
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "luasync";
}

// ---------------------------------------------------------------- natives

Exercise* exercise_named(const char* name) { return g_front->catalog().find_exercise(name); }

int push_out(lua_State* L, bool found) {
  if (!found) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, g_out.data(), g_out.size());
  return 1;
}

int push_failure(lua_State* L) {
  lua_pushnil(L);
  lua_pushlstring(L, g_out.data(), g_out.size());
  return 2;
}

// The progress as it is on disk now: a terminal may have changed it.
void reload_progress() {
  std::string err;
  g_front->ws.load(&err);
}

// catalog() -> JSON
int l_catalog(lua_State* L) {
  {
    reload_progress();
    g_out = tour::catalog_json(g_front->catalog(), &g_front->ws);
  }
  if (!g_front->error.empty()) return luaL_error(L, "%s", g_front->error.c_str());
  return push_out(L, true);
}

// lesson(key) -> JSON | nil
int l_lesson(lua_State* L) {
  const char* key = luaL_checkstring(L, 1);
  {
    reload_progress();
    g_out = tour::lesson_json(g_front->catalog(), key, &g_front->ws);
  }
  return push_out(L, !g_out.empty());
}

// exercise(name) -> JSON | nil
int l_exercise(lua_State* L) {
  Exercise* ex = exercise_named(luaL_checkstring(L, 1));
  if (ex) {
    reload_progress();
    g_out = tour::exercise_json(g_front->catalog(), *ex, &g_front->ws);
  }
  return push_out(L, ex != nullptr);
}

// save(name, source) -> true | nil, message. Written atomically (temporary
// file, fsync, rename), and only when it changed.
int l_save(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  size_t n;
  const char* src = luaL_checklstring(L, 2, &n);
  bool ok = false;
  {
    Exercise* ex = exercise_named(name);
    if (!ex) {
      g_out = std::string("there is no exercise '") + name + "'";
    } else if (n > (1u << 20)) {
      g_out = "the file is larger than 1 MB: that is not an exercise solution";
    } else {
      std::string path = g_front->ws.path_of(*ex), old, problem;
      std::string source(src, n);
      if (read_learner_file(path, ex->workspace_path(), &old, &problem) && old == source) {
        ok = true;
      } else {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
        ok = write_file_atomic(path, source, &g_out);
      }
    }
  }
  if (!ok) return push_failure(L);
  lua_pushboolean(L, 1);
  return 1;
}

// hint(name) -> JSON {text, exercise} | nil: the next hint, as the terminal
// shows it, recorded in the progress.
int l_hint(lua_State* L) {
  Exercise* ex = exercise_named(luaL_checkstring(L, 1));
  if (ex) {
    reload_progress();
    Term plain;
    std::string text = next_hint(&g_front->ws, *ex, plain);
    std::string quoted;
    append_json_string(quoted, text);
    g_out = "{\"text\":" + quoted + ",\"exercise\":" +
            tour::exercise_json(g_front->catalog(), *ex, &g_front->ws) + "}";
  }
  return push_out(L, ex != nullptr);
}

// reset(name) -> JSON {backup, exercise} | nil: the starter file again (the
// learner's version is kept in .luasync-backup/, as `learn reset` does).
int l_reset(lua_State* L) {
  Exercise* ex = exercise_named(luaL_checkstring(L, 1));
  bool ok = false;
  if (ex) {
    std::string backup, err;
    if (reset_exercise(g_front->ws, *ex, &backup, &err)) {
      g_front->ws.update([&](Progress& p) { p.done.erase(ex->name); }, &err);  // merged under the lock
      std::string quoted;
      append_json_string(quoted, backup);
      g_out = "{\"backup\":" + quoted + ",\"exercise\":" +
              tour::exercise_json(g_front->catalog(), *ex, &g_front->ws) + "}";
      ok = true;
    } else {
      g_out = err;
    }
  } else {
    g_out = "there is no such exercise";
  }
  if (!ok) return push_failure(L);
  return push_out(L, true);
}

const char* content_type(const std::string& name) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

// asset(name) -> bytes, content type | nil: the page's files, from the
// binary: learn/web/*, codemirror/... (Debian's libjs-codemirror, embedded
// at build time), timeline.js and timeline.css (runtime/observe/web).
int l_asset(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  const EmbeddedChunk* found = nullptr;
  bool timeline = false;
  {
    std::string n = name;
    if (n == "timeline.js" || n == "timeline.css") {
      timeline = true;
    } else {
      const EmbeddedChunk* tables[] = {embedded_tour_web(), embedded_codemirror()};
      for (const EmbeddedChunk* c : tables)
        for (; c && c->name && !found; c++)
          if (n == c->name) found = c;
    }
  }
  if (timeline) {
    const std::string& s = std::strcmp(name, "timeline.js") == 0 ? timeline_script() : timeline_stylesheet();
    lua_pushlstring(L, s.data(), s.size());
  } else if (found) {
    lua_pushlstring(L, found->code, found->size);
  } else {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, content_type(name));
  return 2;
}

// Opens url in the user's browser: $BROWSER (a list separated by colons,
// each a command, %s standing for the URL), else the first of xdg-open,
// sensible-browser, x-www-browser, www-browser found. Detached (a grandchild
// in a session of its own, output to /dev/null), never waited for. Returns
// the command used, or "" when there was none.
std::string open_in_browser(const std::string& url) {
  std::vector<std::string> candidates;
  if (const char* b = std::getenv("BROWSER"); b && *b) {
    std::string list = b;
    size_t start = 0;
    while (start <= list.size()) {
      size_t colon = list.find(':', start);
      std::string cmd = list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!cmd.empty()) candidates.push_back(cmd);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  for (const char* c : {"xdg-open", "sensible-browser", "x-www-browser", "www-browser"}) candidates.push_back(c);
  for (const std::string& cmd : candidates) {
    // The program: the command's first word, found on PATH.
    std::string prog = cmd.substr(0, cmd.find(' '));
    std::string path;
    if (prog.find('/') != std::string::npos) {
      if (access(prog.c_str(), X_OK) == 0) path = prog;
    } else if (const char* p = std::getenv("PATH")) {
      std::string dirs = p;
      size_t start = 0;
      while (path.empty() && start <= dirs.size()) {
        size_t colon = dirs.find(':', start);
        std::string d = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        std::string full = (d.empty() ? "." : d) + "/" + prog;
        if (access(full.c_str(), X_OK) == 0) path = full;
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    }
    if (path.empty()) continue;
    std::string line = cmd;
    size_t at = line.find("%s");
    if (at != std::string::npos)
      line.replace(at, 2, url);
    else
      line += " " + url;
    std::vector<std::string> words;
    size_t start = 0;
    while (start < line.size()) {
      size_t sp = line.find(' ', start);
      if (sp != start) words.push_back(line.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
      if (sp == std::string::npos) break;
      start = sp + 1;
    }
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return "";
    if (pid == 0) {
      setsid();
      if (fork() != 0) _exit(0);
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execv(path.c_str(), argv.data());
      _exit(127);
    }
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return prog;
  }
  return "";
}

// ready(url): the server listens. Says where, and opens the browser.
int l_ready(lua_State* L) {
  const char* url = luaL_checkstring(L, 1);
  {
    std::printf("luasync tour: the lessons of %s\n  %s\n", g_front->ws.root().c_str(), url);
    std::string how;
    if (g_front->open_browser) {
      how = open_in_browser(url);
      if (how.empty())
        std::printf("Open that URL in your browser (no browser command found: set $BROWSER).\n");
      else
        std::printf("Opened it with %s.\n", how.c_str());
    } else {
      std::printf("Open that URL in your browser.\n");
    }
    std::printf("Ctrl-C stops the tour.\n");
    std::fflush(stdout);
  }
  return 0;
}

const EmbeddedChunk* find_learn_chunk(const char* name) {
  for (const EmbeddedChunk* c = embedded_learn_chunks(); c->name; c++)
    if (std::strcmp(c->name, name) == 0) return c;
  return nullptr;
}

// Finds the workspace, or makes one: WORKSPACE if given (made there if it is
// not in one), else the one around the current directory, else
// ./luasync-learn.
bool resolve_workspace(Front& f, const std::string& given, bool has_given) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string dir = has_given ? given : "";
  if (has_given) {
    if (fs::is_directory(dir, ec) && f.ws.find(dir)) return true;
  } else {
    if (f.ws.find(".")) return true;
    dir = "luasync-learn";
  }
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "luasync tour: %s is not a directory\n", dir.c_str());
    return false;
  }
  std::string err;
  int created = 0;
  f.catalog();
  if (!f.error.empty()) {
    std::fprintf(stderr, "luasync tour: %s\n", f.error.c_str());
    return false;
  }
  bool existed = fs::exists(fs::path(dir) / kProgressFile, ec);
  if (!init_workspace(dir, f.catalog(), &err, &created)) {
    std::fprintf(stderr, "luasync tour: %s\n", err.c_str());
    return false;
  }
  if (!existed)
    std::printf("Made the workspace %s (%zu exercises); `luasync learn` works in it too.\n", dir.c_str(),
                f.catalog().exercises.size());
  return f.ws.find(dir);
}

}  // namespace

int tour_main(int argc, char** argv) {
  int port = 0;
  bool open = true;
  std::string lessons = lessons_dir_from_env(), workspace, backend;
  bool has_workspace = false, is_backend = false;
  double time_limit = 5.0;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "-h" || a == "--help") {
      std::fputs(kTourUsage, stdout);
      return 0;
    } else if (a == "--port") {
      const char* v = value();
      char* end = nullptr;
      long p = v ? std::strtol(v, &end, 10) : -1;
      if (!v || *end || p < 0 || p > 65535) return usage_error("option '--port' needs a port number (0 to 65535)");
      port = static_cast<int>(p);
    } else if (a == "--no-open") {
      open = false;
    } else if (a == "--lessons") {
      const char* v = value();
      if (!v) return usage_error("option '--lessons' needs a directory");
      lessons = v;
    } else if (a == "--time-limit") {
      const char* v = value();
      if (!v || std::atof(v) <= 0) return usage_error("option '--time-limit' needs a number of seconds");
      time_limit = std::atof(v);
    } else if (a == "--backend") {  // internal: the job backend (tour_backend.cpp)
      const char* v = value();
      if (!v) return usage_error("option '--backend' needs a workspace");
      backend = v;
      is_backend = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unrecognized option '" + a + "'");
    } else if (has_workspace) {
      return usage_error("one workspace at most (got '" + workspace + "' and '" + a + "')");
    } else {
      workspace = a;
      has_workspace = true;
    }
  }
  if (is_backend) return tour::backend_main(backend, lessons, time_limit);

  Front front;
  front.open_browser = open;
  front.lessons = lessons;
  std::string err;
  std::error_code ec;
  if (!lessons.empty() && !std::filesystem::is_directory(lessons, ec)) {
    std::fprintf(stderr, "luasync tour: the lessons directory %s does not exist\n", lessons.c_str());
    return 1;
  }
  if (!resolve_workspace(front, workspace, has_workspace)) return 1;
  if (!front.ws.load(&err)) {
    std::fprintf(stderr, "luasync tour: %s\n", err.c_str());
    return 1;
  }
  front.token = random_token();
  g_front = &front;

  const EmbeddedChunk* chunk = find_learn_chunk("@[learn]/tour.lua");
  lua_State* L = luaL_newstate();
  if (L) install_panic_handler(L);  // trampoline.h
  if (!L || !chunk) {
    std::fprintf(stderr, "luasync tour: %s\n", L ? "the tour is missing from this build" : "out of memory");
    if (L) lua_close(L);
    return 1;
  }
  luaL_openlibs(L);
  open_luasync_globals(L);
  runtime(L)->handle_sigint = true;  // Ctrl-C cancels the server's main task
  push_traceback_handler(L);
  int handler = lua_gettop(L);
  int rc = 0;
  if (luaL_loadbufferx(L, chunk->code, chunk->size, chunk->name, "b") != LUA_OK) {
    std::fprintf(stderr, "luasync tour: %s\n", lua_tostring(L, -1));
    rc = 1;
  } else {
    lua_createtable(L, 0, 8);
    lua_pushstring(L, front.token.c_str());
    lua_setfield(L, -2, "token");
    lua_pushinteger(L, port);
    lua_setfield(L, -2, "port");
    lua_pushstring(L, front.ws.root().c_str());
    lua_setfield(L, -2, "workspace");
    lua_pushstring(L, lessons.c_str());
    lua_setfield(L, -2, "lessons");
    lua_pushstring(L, self_exe().c_str());
    lua_setfield(L, -2, "exe");
    lua_pushnumber(L, time_limit);
    lua_setfield(L, -2, "time_limit");
    lua_pushliteral(L, "127.0.0.1");
    lua_setfield(L, -2, "url_host");
    static const Reg natives[] = {
        {"catalog", fn<l_catalog>}, {"lesson", fn<l_lesson>}, {"exercise", fn<l_exercise>}, {"save", fn<l_save>},
        {"hint", fn<l_hint>},       {"reset", fn<l_reset>},   {"asset", fn<l_asset>},       {"ready", fn<l_ready>},
        {nullptr, nullptr},
    };
    new_lib(L, natives);
    if (lua_pcall(L, 2, 0, handler) != LUA_OK) {
      if (is_error(L, -1, ErrorClass::KeyboardInterrupt)) {
        std::printf("\nluasync tour: stopped.\n");
      } else {
        std::string text = traceback_of_last_error(L, -1);
        std::fprintf(stderr, "luasync tour: %s\n", text.c_str());
        rc = 1;
      }
    }
  }
  lua_close(L);
  g_front = nullptr;
  return rc;
}

}  // namespace luasync::learn
