// repl.cpp: the interactive REPL (docs/repl.md): `luasync` without a script.
//
// One event loop serves the whole session (loop_open, as asyncio.run makes
// one) and runs all the time: while the user types, the driver sits in
// loop->run_until(a line is ready), with stdin watched by a uv_poll on the
// same loop, so background tasks go on running. Each complete input is
// compiled as the body of an async function and run as a task of that loop
// ("input-<n>"); the driver waits for it with run_until(task done), stdin
// not watched (keys typed meanwhile wait in the terminal). Results are
// printed, `_` holds the first; an error prints its traceback; the REPL goes
// on whatever the input did.
//
// The driver is the only caller of Lua outside the loop, always through
// lua_pcall: libuv callbacks here only hand keys to readline or bytes to the
// line queue; the loop's ready queue runs everything else.
//
// Ctrl-C (SIGINT through sigaction: a libuv signal watcher could not fire
// while Lua runs) counts a press and wakes the loop. The driver then cancels
// the running input's task (background tasks are untouched), or abandons
// the line being typed. If the input itself is running Lua at that moment
// (a loop without awaits), the handler also arms a hook on its thread that
// raises CancelledError("KeyboardInterrupt") there, as lua.c's laction does.
// A second press the driver has not answered yet (something else holds the
// loop: a runaway background task or callback) arms the hook on whatever
// Lua is running, as asyncio.run's second Ctrl-C does.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>

#include "asyncio_lib.h"
#include "coro.h"
#include "future.h"
#include "interpreter.h"
#include "pool_alloc.h"
#include "loop.h"
#include "repl.h"
#include "runtime.h"
#include "task.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

namespace {

using namespace repl;

// ---------------------------------------------------------------- Ctrl-C

// Shared with the signal handler.
volatile sig_atomic_t g_sigint = 0;          // presses the driver has not answered
volatile sig_atomic_t g_hard_interrupt = 0;  // an armed hook is to raise
volatile sig_atomic_t g_driver_lua = 0;      // the driver runs Lua on the main thread
volatile sig_atomic_t g_closing = 0;         // the session is shutting down: Ctrl-C terminates
Loop* volatile g_loop = nullptr;
Task* volatile g_input = nullptr;            // the input being run
lua_State* volatile g_main = nullptr;
uv_async_t* volatile g_wake = nullptr;

void interrupt_hook(lua_State* L, lua_Debug*) {
  lua_sethook(L, nullptr, 0, 0);
  if (!g_hard_interrupt) return;  // a stale arming: the press was answered
  g_hard_interrupt = 0;
  push_error(L, ErrorClass::Cancelled, "KeyboardInterrupt");
  lua_error(L);
}

void arm(lua_State* L) {
  if (L) lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

void on_sigint(int) {
  int saved = errno;
  if (g_closing) {  // cancelled tasks are finishing: Ctrl-C ends the process (a task
                    // that ignores its cancellation cannot hold the exit)
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
    errno = saved;
    return;
  }
  g_sigint = g_sigint + 1;
  Loop* loop = g_loop;
  if (!loop) {  // the session is being made: the prompt will clear the line
    errno = saved;
    return;
  }
  Task* cur = loop->current_task();
  if (cur && cur == g_input) {  // the input's own code is running
    g_hard_interrupt = 1;
    arm(cur->co);
  } else if (g_driver_lua) {  // the driver is formatting a result
    g_hard_interrupt = 1;
    arm(g_main);
  } else if (g_sigint >= 2) {  // the driver cannot get control back
    g_hard_interrupt = 1;
    arm(g_main);
    if (cur) arm(cur->co);
  }
  if (uv_async_t* w = g_wake) uv_async_send(w);
  errno = saved;
}

// ---------------------------------------------------------------- Lua side

char kMakeInputKey;  // registry: function(body) -> coroutine object named "input"

// Installed in each session's state. asyncio.run(coro) from a task awaits
// coro on the REPL's running loop (scripts loaded with :load end with it);
// elsewhere it fails as usual.
const char kSessionLua[] = R"lua(
local asyncio = ...
local run, current_task, await, async, iscoroutine =
  asyncio.run, asyncio.current_task, asyncio.await, asyncio.async, asyncio.iscoroutine
asyncio.run = function(coro, opts)
  if not current_task() then return run(coro, opts) end
  if not iscoroutine(coro) then
    error("bad argument #1 to 'run' (coroutine object expected, got " .. type(coro) .. ")", 2)
  end
  return await(coro)
end
return function(body)
  local input = async(body)
  return input()
end
)lua";

class Repl;

struct ExitRequest {
  bool requested = false;
  int code = 0;
};

// os.exit([code]) in the REPL: leave cleanly (tasks cancelled, history
// saved) once the running code has unwound: it raises CancelledError.
int l_exit(lua_State* L) {
  auto* req = static_cast<ExitRequest*>(lua_touserdata(L, lua_upvalueindex(1)));
  int code = 0;
  if (lua_isboolean(L, 1))
    code = lua_toboolean(L, 1) ? 0 : 1;
  else
    code = static_cast<int>(luaL_optinteger(L, 1, 0));
  req->requested = true;
  req->code = code;
  push_error(L, ErrorClass::Cancelled, "os.exit");
  return lua_error(L);
}

// (exit request) -> the loop userdata. Sets up a fresh state for the REPL.
int l_setup(lua_State* L) {
  void* req = lua_touserdata(L, 1);
  lua_settop(L, 0);
  if (lua_getglobal(L, "os") == LUA_TTABLE) {
    lua_pushlightuserdata(L, req);
    push_closure<l_exit>(L, 1);
    lua_setfield(L, -2, "exit");
  }
  lua_pop(L, 1);
  if (luaL_loadbufferx(L, kSessionLua, sizeof kSessionLua - 1, "=(repl)", "t") != LUA_OK) lua_error(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, runtime(L)->asyncio_ref);
  lua_call(L, 1, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kMakeInputKey);
  loop_open(L, loop_options(L, 0));
  return 1;
}

// (code, chunkname, n) -> the input's task, scheduled.
int l_prepare(lua_State* L) {
  size_t n;
  const char* code = lua_tolstring(L, 1, &n);
  const char* chunkname = lua_tostring(L, 2);
  if (!load_input(L, code, n, chunkname)) lua_error(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kMakeInputKey);
  lua_insert(L, -2);
  lua_call(L, 1, 1);  // the coroutine object
  lua_pushfstring(L, "input-%d", static_cast<int>(lua_tointeger(L, 3)));
  Runtime* rt = runtime(L);
  uint64_t next = rt->next_task_number;
  push_new_task(L, -2, -1);
  rt->next_task_number = next;  // inputs do not use up the Task-<n> names
  return 1;
}

// (task, msg) -> task:cancel(msg)
int l_cancel(lua_State* L) {
  task_cancel(L, 1, 2);
  return 0;
}

// l_report's text, outside its frame: a Lua error raised while it is built
// (a __tostring, out of memory) would skip a local string's destructor.
std::string g_text, g_frames;

// (task, interrupted): prints the input's results or its error.
int l_report(lua_State* L) {
  Task* t = to_task(L, 1);
  bool interrupted = lua_toboolean(L, 2);
  lua_settop(L, 1);
  if (t->state == Future::Cancelled || t->has_exception) {
    // 2: the recorded frames (a string, or nil); no C++ string across a raise
    if (lua_getiuservalue(L, 1, UV_EXTRA) == LUA_TTABLE) {
      lua_getfield(L, -1, "traceback");
      lua_remove(L, -2);
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushnil(L);
      }
    } else {
      lua_pop(L, 1);
      lua_pushnil(L);
    }
    lua_getiuservalue(L, 1, UV_RESULT);  // 3
    future_mark_retrieved(L, t);
    g_frames = lua_isstring(L, 2) ? lua_tostring(L, 2) : "";
    if (t->state == Future::Cancelled && interrupted) {
      g_text = "KeyboardInterrupt: input cancelled";
      if (!g_frames.empty()) g_text += "\nstack traceback:\n" + g_frames;
    } else {
      g_text = format_traceback(L, 3, g_frames);
    }
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", g_text.c_str());
    std::fflush(stderr);
    return 0;
  }
  int n = future_push_result(L, 1);
  if (n == 0) return 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < n; i++) {
    if (i) luaL_addchar(&b, '\t');
    g_text = format_value(L, 2 + i);
    luaL_addlstring(&b, g_text.data(), g_text.size());
  }
  luaL_addchar(&b, '\n');
  luaL_pushresult(&b);
  size_t len;
  const char* line = lua_tolstring(L, -1, &len);
  std::fwrite(line, 1, len, stdout);
  std::fflush(stdout);
  lua_pop(L, 1);
  if (!lua_isnil(L, 2)) {
    lua_pushglobaltable(L);
    lua_pushliteral(L, "_");
    lua_pushvalue(L, 2);
    lua_rawset(L, -3);
  }
  return 0;
}

// Prints every task not done: name, state, what it waits on, where.
int l_tasks(lua_State* L) {
  Loop* loop = runtime(L)->loop;
  int top = lua_gettop(L);
  for (Task* t = loop->first_task(); t; t = t->next) lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
  int n = lua_gettop(L) - top;
  if (n == 0) {
    std::puts("no tasks");
    return 0;
  }
  std::string out = std::to_string(n) + (n == 1 ? " task" : " tasks") + "\n";
  for (int i = n; i >= 1; i--) {  // oldest first
    int idx = top + i;
    Task* t = to_task(L, idx);
    push_task_name(L, idx);
    std::string name = lua_tostring(L, -1);
    lua_pop(L, 1);
    std::string state;
    if (t->waiting == Task::Wait::Timer) {
      state = "sleeping";
    } else if (t->waiting == Task::Wait::Future) {
      lua_getiuservalue(L, idx, UV_WAITER);
      state = "awaiting " + describe_value(L, -1);
      lua_pop(L, 1);
    } else {
      state = t->started ? "scheduled" : "scheduled, not started";
    }
    if (t->num_cancels_requested) state += ", cancelling";
    lua_getiuservalue(L, idx, UV_CORO);
    push_coro_label(L, -1);
    std::string coro = lua_tostring(L, -1);
    lua_pop(L, 2);
    out += "  " + name + "  (" + state + ")  " + coro + "\n";
    if (t->co && t->started) {
      std::string frames = stack_frames(t->co, 0, t);
      size_t pos = 0;
      while (pos < frames.size()) {
        size_t nl = frames.find('\n', pos);
        std::string fr = frames.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        while (!fr.empty() && fr[0] == '\t') fr.erase(0, 1);
        out += "      " + fr + "\n";
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int l_shutdown(lua_State* L) {
  loop_shutdown(L, static_cast<Loop*>(lua_touserdata(L, 1)));
  return 0;
}

const char kHelp[] =
    "Type Lua statements or expressions. Each input runs as a task on the REPL's\n"
    "event loop, so await works at the top level, and the loop keeps running while\n"
    "you type: tasks started with asyncio.create_task go on in the background.\n"
    "\n"
    "  1 + 1                        an expression prints its value(s); _ holds the first\n"
    "  local n = 10                 top-level locals stay visible in later inputs\n"
    "  await(asyncio.sleep(1, 'x')) await at the prompt\n"
    "  t = asyncio.create_task(f()) a background task; :tasks shows it\n"
    "  asyncio.run(main())          from the prompt: awaits main() on this loop\n"
    "\n"
    "Commands:\n"
    "  :help                  this text\n"
    "  :tasks                 the tasks not done: state, what each awaits, where\n"
    "  :clock [real|virtual]  switch the loop's clock (no argument: the other one);\n"
    "                         on the virtual clock sleeps take no real time, and time\n"
    "                         stands still while the prompt waits for you\n"
    "  :load FILE             run a Lua file in this session (like an input)\n"
    "  :reset                 cancel all tasks, start again with a fresh state\n"
    "  :quit, exit, Ctrl-D    leave (background tasks are cancelled)\n"
    "\n"
    "Keys: Ctrl-C cancels the running input (background tasks go on) or clears\n"
    "the line; press it twice to stop code that never awaits. Tab completes\n"
    "names, fields and methods (obj:<Tab>). Emacs keys, Up/Down and Ctrl-R for\n"
    "history (kept in ~/.luasync_history, or $LUASYNC_HISTORY).\n";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string history_path() {
  if (const char* p = std::getenv("LUASYNC_HISTORY")) return p;  // "" disables it
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.luasync_history";
  return "";
}

// ---------------------------------------------------------------- the REPL

class Repl : public LineSink {
 public:
  explicit Repl(const RunOptions& opts) : opts_(opts), interactive_(isatty(0)) {}
  int run();
  // A line from readline; a bracketed paste may hold several: they are
  // taken one by one, as if typed.
  void on_line(char* line) override {
    if (!line) {
      eof_ = true;
      return;
    }
    const char* p = line;
    for (const char* nl; (nl = std::strchr(p, '\n')); p = nl + 1) lines_.emplace_back(p, nl - p);
    lines_.emplace_back(p);
  }

 private:
  enum class Read { Line, Eof };

  bool open_session();
  void close_session();
  Read read_line(const char* prompt, std::string* line);
  void read_blocking();
  void take_input(const char* buf, size_t n, bool eof);
  void handle_line(const std::string& line);
  void run_code(const std::string& code, const char* chunkname);
  bool wait_input(Task* t);
  void command(const std::string& text);
  void cmd_clock(const std::string& arg);
  void cmd_load(const std::string& arg);
  // fn: a cfn<F> (trampoline.h).
  bool pcall(lua_CFunction fn, int nargs, bool driver_lua = false);
  void start_input();
  void stop_input();
  void on_stdin(int status);

  RunOptions opts_;
  bool interactive_;
  lua_State* L_ = nullptr;
  Loop* loop_ = nullptr;
  uv_async_t wake_{};
  uv_poll_t poll_{};
  uv_signal_t winch_{};
  bool poll_ok_ = false;  // false: stdin is a file; read it directly
  bool polling_ = false;
  std::deque<std::string> lines_;
  std::string inbuf_;  // piped input not yet split into lines
  bool eof_ = false;
  std::string pending_;  // the lines of an incomplete input so far
  bool quit_ = false;
  int status_ = 0;
  ExitRequest exit_;
  int inputs_ = 0;
};

bool Repl::pcall(lua_CFunction fn, int nargs, bool driver_lua) {
  push_cfn(L_, fn);
  lua_insert(L_, -nargs - 1);
  g_driver_lua = driver_lua;
  int st = lua_pcall(L_, nargs, LUA_MULTRET, 0);
  g_driver_lua = 0;
  if (st != LUA_OK) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", safe_tostring(L_, -1).c_str());
    std::fflush(stderr);
    lua_pop(L_, 1);
    return false;
  }
  return true;
}

bool Repl::open_session() {
  L_ = new_state(opts_);
  if (!L_) {
    std::fprintf(stderr, "luasync: cannot create the Lua state (out of memory)\n");
    return false;
  }
  lua_pushlightuserdata(L_, &exit_);
  if (!pcall(cfn<l_setup>, 1)) {
    pool_close(L_);
    L_ = nullptr;
    return false;
  }
  lua_settop(L_, 1);  // the loop's userdata stays at index 1 for the session
  loop_ = static_cast<Loop*>(lua_touserdata(L_, 1));
  uv_async_init(loop_->uv(), &wake_, [](uv_async_t*) {});  // only wakes the loop
  // libuv makes a polled fd non-blocking; the terminal's file description is
  // shared with stdout and stderr, which must stay blocking.
  int flags = fcntl(0, F_GETFL);
  poll_ok_ = uv_poll_init(loop_->uv(), &poll_, 0) == 0;
  if (flags != -1) fcntl(0, F_SETFL, flags);
  poll_.data = this;
  if (interactive_) {
    uv_signal_init(loop_->uv(), &winch_);
    uv_signal_start(&winch_, [](uv_signal_t*, int) { term_resized(); }, SIGWINCH);
  }
  complete_set_state(L_);
  g_main = L_;
  g_wake = &wake_;
  g_loop = loop_;
  return true;
}

void Repl::close_session() {
  g_closing = 1;  // from here on Ctrl-C terminates
  g_loop = nullptr;
  g_wake = nullptr;
  g_input = nullptr;
  complete_set_state(nullptr);
  stop_input();
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  if (poll_ok_) uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  if (interactive_) uv_close(reinterpret_cast<uv_handle_t*>(&winch_), nullptr);
  uv_run(loop_->uv(), UV_RUN_NOWAIT);  // their close callbacks
  lua_settop(L_, 1);
  lua_pushlightuserdata(L_, loop_);
  if (!pcall(cfn<l_shutdown>, 1)) {
    if (!loop_->closed()) loop_->close(L_);
    runtime(L_)->loop = nullptr;
  }
  std::fflush(stdout);
  g_main = nullptr;
  close_state(L_);
  L_ = nullptr;
  loop_ = nullptr;
  g_closing = 0;
}

void Repl::start_input() {
  if (!poll_ok_ || polling_) return;
  uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* h, int status, int) {
    static_cast<Repl*>(h->data)->on_stdin(status);
  });
  polling_ = true;
}

void Repl::stop_input() {
  if (!polling_) return;
  uv_poll_stop(&poll_);
  polling_ = false;
}

// stdin is readable (a libuv callback: no Lua here).
void Repl::on_stdin(int status) {
  if (interactive_) {
    term_read_key();
    return;
  }
  if (status < 0) {
    take_input(nullptr, 0, true);
    return;
  }
  char buf[65536];
  ssize_t n = ::read(0, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  take_input(buf, n > 0 ? static_cast<size_t>(n) : 0, n <= 0);
}

void Repl::read_blocking() {
  char buf[65536];
  ssize_t n;
  do n = ::read(0, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  take_input(buf, n > 0 ? static_cast<size_t>(n) : 0, n <= 0);
}

// Splits piped input into lines.
void Repl::take_input(const char* buf, size_t n, bool eof) {
  inbuf_.append(buf ? buf : "", n);
  size_t start = 0, nl;
  while ((nl = inbuf_.find('\n', start)) != std::string::npos) {
    lines_.emplace_back(inbuf_, start, nl - start);
    start = nl + 1;
  }
  inbuf_.erase(0, start);
  if (eof) {
    if (!inbuf_.empty()) lines_.push_back(std::move(inbuf_));
    inbuf_.clear();
    eof_ = true;
  }
}

Repl::Read Repl::read_line(const char* prompt, std::string* line) {
  for (;;) {
    if (!lines_.empty()) {
      *line = std::move(lines_.front());
      lines_.pop_front();
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Read::Line;
    }
    if (eof_ || exit_.requested || quit_) return Read::Eof;
    std::fflush(stdout);
    if (!poll_ok_) {
      read_blocking();
      continue;
    }
    if (interactive_ && !term_prompt_shown()) term_prompt(prompt);
    start_input();
    // Under the virtual clock time stands still while the prompt waits.
    loop_->hold_clock();
    loop_->run_until([&] {
      term_flush();
      return !lines_.empty() || eof_ || g_sigint || exit_.requested;
    });
    loop_->release_clock();
    stop_input();
    if (interactive_) term_flush();
    if (g_sigint && lines_.empty() && !eof_) {
      g_sigint = 0;
      g_hard_interrupt = 0;
      if (!interactive_) {
        std::fputs("KeyboardInterrupt\n", stderr);
        status_ = 130;
        quit_ = true;
        return Read::Eof;
      }
      term_cancel_line();
      pending_.clear();
      prompt = "> ";
      continue;
    }
    if (interactive_ && term_prompt_shown()) term_unprompt();  // os.exit from a background task
  }
}

void Repl::handle_line(const std::string& line) {
  if (pending_.empty()) {
    std::string t = trim(line);
    if (t.empty()) return;
    if (t == "exit") {
      quit_ = true;
      return;
    }
    if (t[0] == ':' && t.size() > 1 && std::isalpha(static_cast<unsigned char>(t[1]))) {
      command(t);
      return;
    }
    pending_ = line;
  } else {
    pending_ += '\n';
    pending_ += line;
  }
  std::string code, msg;
  Check c = check_input(L_, pending_, "=stdin", true, &code, &msg);
  if (c == Check::Incomplete) return;
  pending_.clear();
  if (c == Check::Error) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", msg.c_str());
    std::fflush(stderr);
    return;
  }
  run_code(code, "=stdin");
}

void Repl::run_code(const std::string& code, const char* chunkname) {
  lua_settop(L_, 1);
  lua_pushlstring(L_, code.data(), code.size());
  lua_pushstring(L_, chunkname);
  lua_pushinteger(L_, ++inputs_);
  if (!pcall(cfn<l_prepare>, 3)) {
    lua_settop(L_, 1);
    return;
  }
  Task* t = to_task(L_, 2);
  bool interrupted = wait_input(t);
  if (interrupted && interactive_) {
    std::fputs("\n", stderr);  // after the terminal's "^C"
    lines_.clear();             // the rest of a paste is dropped too
  }
  if (t->done() && !exit_.requested) {
    lua_settop(L_, 2);
    lua_pushboolean(L_, interrupted);
    if (!pcall(cfn<l_report>, 2, true) && g_hard_interrupt == 0) {
      // (the message was printed: an error in a __tostring, or Ctrl-C)
    }
  }
  g_hard_interrupt = 0;
  lua_settop(L_, 1);
  std::fflush(stdout);
}

// Runs the loop until the input's task is done; Ctrl-C cancels it.
// Returns whether it was cancelled that way.
bool Repl::wait_input(Task* t) {
  g_hard_interrupt = 0;  // (a Ctrl-C pressed since the line was entered counts)
  g_input = t;
  bool interrupted = false;
  while (!t->done() && !exit_.requested) {
    bool progress = loop_->run_until([&] { return t->done() || g_sigint || exit_.requested; });
    if (g_sigint) {
      g_sigint = 0;
      interrupted = true;
      if (!t->done()) {
        lua_pushvalue(L_, 2);
        lua_pushliteral(L_, "KeyboardInterrupt");
        pcall(cfn<l_cancel>, 2);
      }
    } else if (!progress) {
      // Nothing can ever wake it (cannot happen while stdin is watched, but
      // the loop says so): cancel it rather than hang.
      std::fprintf(stderr, "deadlock: the input waits for something that can never happen; cancelling it\n");
      lua_pushvalue(L_, 2);
      lua_pushliteral(L_, "deadlock");
      pcall(cfn<l_cancel>, 2);
      if (!loop_->run_until([&] { return t->done(); })) break;
    }
  }
  g_input = nullptr;
  g_hard_interrupt = 0;
  g_sigint = 0;
  // A Ctrl-C that stopped a runaway input raised CancelledError in it.
  if (t->state == Future::Cancelled && !interrupted) {
    lua_getiuservalue(L_, 2, UV_RESULT);
    if (lua_type(L_, -1) == LUA_TTABLE) {
      lua_getfield(L_, -1, "message");
      interrupted = lua_type(L_, -1) == LUA_TSTRING &&
                    std::strcmp(lua_tostring(L_, -1), "KeyboardInterrupt") == 0;
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }
  return interrupted;
}

void Repl::command(const std::string& text) {
  size_t sp = text.find_first_of(" \t");
  std::string name = text.substr(0, sp);
  std::string arg = sp == std::string::npos ? "" : trim(text.substr(sp));
  std::fflush(stdout);
  if (name == ":help" || name == ":h") {
    std::fputs(kHelp, stdout);
  } else if (name == ":tasks") {
    lua_settop(L_, 1);
    pcall(cfn<l_tasks>, 0, true);
    lua_settop(L_, 1);
  } else if (name == ":clock") {
    cmd_clock(arg);
  } else if (name == ":load") {
    cmd_load(arg);
  } else if (name == ":reset") {
    close_session();
    if (!open_session()) {
      quit_ = true;
      status_ = 1;
      return;
    }
    std::puts("(fresh state: tasks cancelled, variables cleared)");
  } else if (name == ":quit" || name == ":exit" || name == ":q") {
    quit_ = true;
  } else {
    std::fprintf(stderr, "unknown command '%s' (:help lists the commands)\n", name.c_str());
  }
  std::fflush(stdout);
}

void Repl::cmd_clock(const std::string& arg) {
  bool to_virtual;
  if (arg.empty())
    to_virtual = !loop_->clock().is_virtual();
  else if (arg == "virtual")
    to_virtual = true;
  else if (arg == "real")
    to_virtual = false;
  else {
    std::fprintf(stderr, "usage: :clock [real|virtual]\n");
    return;
  }
  loop_->set_clock_virtual(to_virtual);
  std::printf("clock: %s (loop time %.3f)\n", to_virtual ? "virtual" : "real", loop_->time());
}

void Repl::cmd_load(const std::string& arg) {
  if (arg.empty()) {
    std::fprintf(stderr, "usage: :load FILE\n");
    return;
  }
  std::ifstream in(arg, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s: %s\n", arg.c_str(), std::strerror(errno));
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string src = ss.str();
  if (!src.empty() && src[0] == '#') src.erase(0, std::min(src.find('\n'), src.size()));  // #! line
  std::string chunkname = "@" + arg;
  std::string code, msg;
  if (check_input(L_, src, chunkname.c_str(), false, &code, &msg) != Check::Ok) {
    std::fprintf(stderr, "%s\n", msg.c_str());
    return;
  }
  run_code(code, chunkname.c_str());
}

int Repl::run() {
  int stdin_flags = fcntl(0, F_GETFL);
  if (interactive_) {
    // The prompt first: the Lua state and the loop are made while the user
    // starts typing (keys wait in the terminal meanwhile), and the history
    // is read after them.
    term_open(this);
    std::printf("luasync %s (%s, libuv %s): await works at the prompt. :help for help, Ctrl-D to leave.\n",
                LUASYNC_VERSION, LUA_RELEASE, libuv_version());
    term_prompt("> ");
  }
  struct sigaction sa {}, old_sa{};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &old_sa);

  if (open_session()) {
    if (interactive_) term_load_history(history_path().c_str());
    while (!quit_ && !exit_.requested) {
      std::string line;
      if (read_line(pending_.empty() ? "> " : ">> ", &line) == Read::Eof) {
        if (quit_ || exit_.requested) break;
        if (!pending_.empty()) {  // Ctrl-D or end of input inside an incomplete input
          std::string code, msg;
          check_input(L_, pending_, "=stdin", false, &code, &msg);
          std::fprintf(stderr, "%s\n", msg.c_str());
          pending_.clear();
          if (interactive_) {
            eof_ = false;
            continue;
          }
        }
        break;
      }
      if (interactive_) term_add_history(line.c_str());
      handle_line(line);
    }
    close_session();
  } else {
    status_ = 1;
  }
  if (interactive_) term_unprompt();
  sigaction(SIGINT, &old_sa, nullptr);
  if (interactive_) term_close();
  if (stdin_flags != -1) fcntl(0, F_SETFL, stdin_flags);
  std::fflush(stdout);
  return exit_.requested ? exit_.code : status_;
}

}  // namespace

int run_repl(const RunOptions& opts) {
  Repl repl(opts);
  return repl.run();
}

}  // namespace luasync
