// process.cpp: see process.h. After CPython's asyncio/subprocess.py and
// base_subprocess.py, on uv_spawn.
#include "process.h"

#include <sys/wait.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "future.h"
#include "io.h"
#include "stream.h"
#include "scope.h"
#include "trampoline.h"

namespace luasync {

namespace {
enum : uint32_t { EV_EXIT = 1 };

// User values of the Process userdata: its pipe ends.
enum : int { PUV_STDIN = 1, PUV_STDOUT = 2, PUV_STDERR = 3, PROCESS_NUV = 3 };

struct Signal {
  const char* name;
  int number;
};
const Signal kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"TERM", SIGTERM},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"PIPE", SIGPIPE}, {"CHLD", SIGCHLD}, {"TSTP", SIGTSTP}, {"WINCH", SIGWINCH},
};
}  // namespace

class Process final : public IoObject {
 public:
  explicit Process(Loop* loop) : IoObject(loop) { proc_.data = this; }

  // Spawns the child. On success the handle is open and the clock held.
  int spawn(uv_process_options_t* opts) {
    opts->exit_cb = exit_cb;
    int r = uv_spawn(loop()->uv(), &proc_, opts);
    hold_uv();  // the handle is initialised even when spawning fails
    if (r < 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&proc_), close_cb);
      return r;
    }
    pid_ = proc_.pid;
    loop()->hold_clock();
    holding_clock_ = true;
    return 0;
  }

  int pid() const { return pid_; }
  bool exited() const { return exited_; }
  // Python's returncode: the exit status, or -signal when a signal ended it.
  lua_Integer returncode() const { return term_signal_ ? -term_signal_ : exit_status_; }
  int term_signal() const { return term_signal_; }

  void push_wait(lua_State* L) {
    push_new_future(L);
    future_set_label(L, -1, "process");  // named in timelines
    if (exited_) {
      lua_pushinteger(L, returncode());
      resolve_top(L, -2, 1);
      return;
    }
    waiters_.push_back(io_ref(L, -1));
  }

  // Sends a signal if the child still runs; returns a libuv error or 0.
  int kill(int sig) {
    if (exited_ || !loop()) return 0;
    return uv_process_kill(&proc_, sig);
  }

 protected:
  void on_events(lua_State* L, uint32_t events) override {
    if (!(events & EV_EXIT)) return;
    std::vector<LuaRef> waiters;
    waiters.swap(waiters_);
    for (LuaRef& w : waiters) {
      if (!take_pending(L, w)) continue;
      lua_pushinteger(L, returncode());
      resolve_top(L, -2, 1);
      lua_pop(L, 1);
    }
  }

  void loop_closing(lua_State*) override {
    waiters_.clear();
    if (!exited_ && pid_ > 0) {
      // Nobody will ever wait for it: kill it and reap it now.
      uv_process_kill(&proc_, SIGKILL);
      int status;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      exited_ = true;
      term_signal_ = SIGKILL;
      uv_close(reinterpret_cast<uv_handle_t*>(&proc_), close_cb);
    }
    if (holding_clock_) {
      holding_clock_ = false;
      loop()->release_clock();
    }
  }

 private:
  static void exit_cb(uv_process_t* p, int64_t exit_status, int term_signal) {
    auto* self = static_cast<Process*>(p->data);
    self->exited_ = true;
    self->exit_status_ = exit_status;
    self->term_signal_ = term_signal;
    if (self->holding_clock_) {
      self->holding_clock_ = false;
      self->loop()->release_clock();
    }
    uv_close(reinterpret_cast<uv_handle_t*>(p), close_cb);
    self->post(EV_EXIT);
  }

  static void close_cb(uv_handle_t* h) { static_cast<Process*>(h->data)->release_uv(); }

  uv_process_t proc_;
  int pid_ = 0;
  bool exited_ = false;
  bool holding_clock_ = false;
  int64_t exit_status_ = 0;
  int term_signal_ = 0;
  std::vector<LuaRef> waiters_;
};

// ---------------------------------------------------------------- Lua

static Process* check_process(lua_State* L) {
  Process* p = *static_cast<Process**>(luaL_checkudata(L, 1, kProcessMT));
  if (!p) luaL_error(L, "attempt to use a closed process");
  return p;
}

static int l_wait(lua_State* L) {
  Process* p = check_process(L);
  if (!p->loop() && !p->exited()) luaL_error(L, "attempt to use a process of a closed event loop");
  p->push_wait(L);
  return 1;
}

static int check_signal(lua_State* L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) return static_cast<int>(luaL_checkinteger(L, arg));
  const char* name = luaL_checkstring(L, arg);
  if (std::strncmp(name, "SIG", 3) == 0) name += 3;
  for (const Signal& s : kSignals)
    if (std::strcmp(s.name, name) == 0) return s.number;
  return luaL_argerror(L, arg, lua_pushfstring(L, "unknown signal '%s'", lua_tostring(L, arg)));
}

static int send(lua_State* L, Process* p, int sig) {
  int r = p->kill(sig);
  if (r < 0 && r != UV_ESRCH) {
    push_os_error(L, r);
    lua_error(L);
  }
  return 0;
}

static int l_send_signal(lua_State* L) {
  Process* p = check_process(L);
  return send(L, p, check_signal(L, 2));
}

static int l_kill(lua_State* L) { return send(L, check_process(L), SIGKILL); }
static int l_terminate(lua_State* L) { return send(L, check_process(L), SIGTERM); }

// Closes the pipes held in the userdata's user values.
static void close_pipes(lua_State* L, int idx) {
  for (int i = PUV_STDIN; i <= PUV_STDERR; i++) {
    if (lua_getiuservalue(L, idx, i) == LUA_TUSERDATA) {
      auto* box = static_cast<StreamBox*>(lua_touserdata(L, -1));
      if (box->s && box->s->loop()) box->s->close();
    }
    lua_pop(L, 1);
  }
}

// proc:__close(): kill the child if it still runs, and close its pipes.
static int l_process_close(lua_State* L) {
  Process* p = *static_cast<Process**>(luaL_checkudata(L, 1, kProcessMT));
  if (!p) return 0;
  p->kill(SIGKILL);
  close_pipes(L, 1);
  return 0;
}

static int l_process_gc(lua_State* L) {
  auto** box = static_cast<Process**>(luaL_checkudata(L, 1, kProcessMT));
  if (Process* p = *box) {
    *box = nullptr;
    p->release();
  }
  return 0;
}

static int l_process_index(lua_State* L) {
  Process* p = check_process(L);
  const char* key = lua_tostring(L, 2);
  if (key) {
    if (std::strcmp(key, "pid") == 0) {
      lua_pushinteger(L, p->pid());
      return 1;
    }
    if (std::strcmp(key, "returncode") == 0) {
      if (!p->exited()) return 0;
      lua_pushinteger(L, p->returncode());
      return 1;
    }
    if (std::strcmp(key, "signal") == 0) {
      if (!p->exited() || !p->term_signal()) return 0;
      lua_pushinteger(L, p->term_signal());
      return 1;
    }
    static const char* const pipes[] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; i++) {
      if (std::strcmp(key, pipes[i]) == 0) {
        lua_getiuservalue(L, 1, PUV_STDIN + i);
        return 1;
      }
    }
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static int l_process_tostring(lua_State* L) {
  Process* p = *static_cast<Process**>(luaL_checkudata(L, 1, kProcessMT));
  if (!p)
    lua_pushliteral(L, "<Process>");
  else if (p->exited())
    lua_pushfstring(L, "<Process %d returncode=%I>", p->pid(), p->returncode());
  else
    lua_pushfstring(L, "<Process %d running>", p->pid());
  return 1;
}

// How one of the child's standard streams is set up (opts[name]).
enum class StdioMode { Inherit, Pipe, DevNull };

static StdioMode stdio_mode(lua_State* L, int opts, const char* name) {
  if (!opts) return StdioMode::Inherit;
  lua_getfield(L, opts, name);
  StdioMode m = StdioMode::Inherit;
  if (!lua_isnil(L, -1)) {
    const char* v = lua_tostring(L, -1);
    if (v && std::strcmp(v, "pipe") == 0)
      m = StdioMode::Pipe;
    else if (v && std::strcmp(v, "devnull") == 0)
      m = StdioMode::DevNull;
    else if (!v || std::strcmp(v, "inherit") != 0)
      luaL_error(L, "bad option '%s' to 'create_subprocess_exec' (\"pipe\", \"inherit\" or \"devnull\" expected, got %s)",
                 name, v ? lua_pushfstring(L, "\"%s\"", v) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return m;
}

// Starts the child; returns a libuv error or 0. The argument strings are
// anchored on L's stack by the caller. No Lua error is raised here, so the
// C++ objects of this frame are always destroyed (also when this runs in the
// loadable module, where Lua errors longjmp).
static int start_child(Loop* loop, lua_State* L, const char* prog, int args, int nargs, const char* cwd,
                       int env_idx, const StdioMode modes[3], Process* p, Stream* pipes[3]) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(prog));
  for (int i = 1; i <= nargs; i++) argv.push_back(const_cast<char*>(lua_tostring(L, args + i - 1)));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> env;
  uv_process_options_t o{};
  o.file = prog;
  o.args = argv.data();
  o.cwd = cwd;
  if (env_idx) {
    lua_pushnil(L);
    while (lua_next(L, env_idx)) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
        env_strings.push_back(std::string(lua_tostring(L, -2)) + "=" + lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    for (std::string& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    o.env = env.data();
  }
  uv_stdio_container_t stdio[3];
  for (int i = 0; i < 3; i++) {
    switch (modes[i]) {
      case StdioMode::Inherit:
        stdio[i].flags = UV_INHERIT_FD;
        stdio[i].data.fd = i;
        break;
      case StdioMode::DevNull:
        stdio[i].flags = UV_IGNORE;  // libuv opens /dev/null for 0..2
        break;
      case StdioMode::Pipe:
        pipes[i] = new Stream(loop, Stream::Kind::Pipe, 64 * 1024);
        pipes[i]->hold();
        stdio[i].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | (i == 0 ? UV_READABLE_PIPE : UV_WRITABLE_PIPE));
        stdio[i].data.stream = pipes[i]->stream();
        break;
    }
  }
  o.stdio = stdio;
  o.stdio_count = 3;
  int r = p->spawn(&o);
  if (r < 0) {
    for (int i = 0; i < 3; i++) {
      if (!pipes[i]) continue;
      pipes[i]->abort();
      pipes[i]->release();
      pipes[i] = nullptr;
    }
  }
  return r;
}

// _process.spawn(prog, args, opts) -> proc (raises OSError when it cannot start).
static int l_spawn(lua_State* L) {
  Loop* loop = io_loop(L, "create_subprocess_exec");
  const char* prog = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int opts = lua_isnoneornil(L, 3) ? 0 : 3;
  if (opts) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);

  // Everything that may raise comes first: the arguments (pushed as
  // strings, which anchors them), cwd, env (copied with string values),
  // the stdio modes.
  lua_Integer nargs = luaL_len(L, 2);
  if (nargs > 100000) luaL_error(L, "create_subprocess_exec: too many arguments");
  luaL_checkstack(L, static_cast<int>(nargs) + 16, "too many arguments");
  int args = lua_gettop(L) + 1;
  for (lua_Integer i = 1; i <= nargs; i++) {
    lua_geti(L, 2, i);
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "bad argument #%d to 'create_subprocess_exec' (string expected, got %s)",
                 static_cast<int>(i + 1), luaL_typename(L, -1));
    lua_tostring(L, -1);  // numbers become strings in place
  }
  const char* cwd = nullptr;
  int env_idx = 0;
  if (opts) {
    if (lua_getfield(L, opts, "cwd") != LUA_TNIL) cwd = luaL_checkstring(L, -1);  // stays on the stack
    if (lua_getfield(L, opts, "env") != LUA_TNIL) {
      luaL_checktype(L, -1, LUA_TTABLE);
      lua_newtable(L);  // a copy with string keys and values only
      env_idx = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, env_idx - 1)) {
        if (lua_type(L, -2) == LUA_TSTRING && (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)) {
          lua_pushvalue(L, -2);
          lua_pushstring(L, lua_tostring(L, -2));
          lua_rawset(L, env_idx);
        }
        lua_pop(L, 1);
      }
    }
  }
  static const char* const names[] = {"stdin", "stdout", "stderr"};
  StdioMode modes[3];
  for (int i = 0; i < 3; i++) modes[i] = stdio_mode(L, opts, names[i]);

  // The pipes' streams until their own userdata hold them: released on
  // return and on error (to-be-closed: a Lua error runs no C++ destructor).
  struct PipeHolds {
    Stream* pipes[3] = {nullptr, nullptr, nullptr};
    ~PipeHolds() {
      for (Stream* s : pipes)
        if (s) s->release();
    }
  };
  PipeHolds& holds = *push_scoped<PipeHolds>(L);
  // The userdata first, so that its __gc owns the process from the start
  // (a Lua error runs no C++ destructor: no guard object may hold it).
  auto** box = static_cast<Process**>(lua_newuserdatauv(L, sizeof(Process*), PROCESS_NUV));
  *box = nullptr;
  luaL_setmetatable(L, kProcessMT);
  auto* p = new Process(loop);
  *box = p;
  p->hold();
  Stream** pipes = holds.pipes;
  int r = start_child(loop, L, prog, args, static_cast<int>(nargs), cwd, env_idx, modes, p, pipes);
  if (r < 0) {
    *box = nullptr;
    p->release();
    push_os_error(L, r, prog);
    return lua_error(L);
  }
  for (int i = 0; i < 3; i++) {
    Stream* st = pipes[i];
    if (!st) continue;
    if (i == 0) {
      st->push_writer(L);
    } else {
      st->start_reading();
      st->push_reader(L);
    }
    pipes[i] = nullptr;
    st->release();  // now held by its userdata
    lua_setiuservalue(L, -2, PUV_STDIN + i);
  }
  return 1;
}

int luaopen_process(lua_State* L) {
  static const Reg methods[] = {
      {"wait", fn<l_wait>},
      {"send_signal", fn<l_send_signal>},
      {"kill", fn<l_kill>},
      {"terminate", fn<l_terminate>},
      {nullptr, nullptr},
  };
  static const Reg meta[] = {
      {"__gc", fn<l_process_gc>},
      {"__close", fn<l_process_close>},
      {"__tostring", fn<l_process_tostring>},
      {nullptr, nullptr},
  };
  new_io_type(L, kProcessMT, methods, meta, cfn<l_process_index>);
  lua_createtable(L, 0, 2);
  push_fn<l_spawn>(L);
  lua_setfield(L, -2, "spawn");
  luaL_getmetatable(L, kProcessMT);
  lua_getfield(L, -1, "__index");
  lua_getupvalue(L, -1, 1);  // the methods table, for methods written in Lua
  lua_setfield(L, -4, "Process");
  lua_pop(L, 2);
  return 1;
}

}  // namespace luasync
