// interrupt.cpp: see interrupt.h.
#include "interrupt.h"

#include <csignal>

#include "runtime.h"
#include "task.h"

namespace luasync {

namespace {

// One run at a time handles SIGINT (asyncio.run cannot nest).
volatile sig_atomic_t g_count = 0;
Loop* volatile g_loop = nullptr;
uv_async_t* g_wake = nullptr;
struct sigaction g_previous;
bool g_abandoned = false;
bool g_cancel_sent = false;
int g_main_ref = LUA_NOREF;

// Raises KeyboardInterrupt in the Lua code that was running at the 2nd Ctrl-C.
void interrupt_hook(lua_State* L, lua_Debug*) {
  lua_sethook(L, nullptr, 0, 0);
  push_error(L, ErrorClass::KeyboardInterrupt);
  lua_error(L);
}

void on_signal(int) {
  int n = g_count + 1;  // only this handler writes it (SIGINT is blocked while it runs)
  g_count = n;
  if (n >= 3) {  // the user insists: the default action
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, nullptr);
    raise(SIGINT);  // delivered when this handler returns
    return;
  }
  if (n == 2) {
    // Only into a task's step that is running now; with no Lua code
    // running the loop notices on its own (on_wake).
    Loop* loop = g_loop;
    Task* t = loop ? loop->current_task() : nullptr;
    if (t && t->co) lua_sethook(t->co, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
  }
  if (g_wake) uv_async_send(g_wake);
}

void cancel_main(lua_State* L, void*) {
  if (g_main_ref == LUA_NOREF) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, g_main_ref);
  task_cancel(L, lua_gettop(L), 0);
  lua_pop(L, 1);
}

// On the loop (inside its poll): Lua work goes through the ready queue.
void on_wake(uv_async_t*) {
  if (g_count >= 2) g_abandoned = true;
  if (g_count >= 1 && !g_cancel_sent && g_loop) {
    g_cancel_sent = true;
    g_loop->schedule_native(cancel_main, nullptr);
  }
}

void free_wake(uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); }

// The loop is closing: so is the wake-up handle.
void close_wake(lua_State*, void*) {
  if (!g_wake) return;
  uv_close(reinterpret_cast<uv_handle_t*>(g_wake), free_wake);
  g_wake = nullptr;
}

}  // namespace

SigintHandler::SigintHandler(lua_State* L, Loop* loop, int main_idx) : L_(L), loop_(loop) {
  if (!runtime(L)->handle_sigint || g_loop) return;
  struct sigaction current;
  if (sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler == SIG_IGN) return;
  g_wake = new uv_async_t;
  if (uv_async_init(loop->uv(), g_wake, on_wake) != 0) {
    delete g_wake;
    g_wake = nullptr;
    return;
  }
  // Not a reason for the loop to stay alive (deadlock detection).
  uv_unref(reinterpret_cast<uv_handle_t*>(g_wake));
  loop->add_close_hook(close_wake, nullptr);
  lua_pushvalue(L, main_idx);
  g_main_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  g_count = 0;
  g_abandoned = g_cancel_sent = false;
  g_loop = loop;
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous);
  active_ = true;
}

SigintHandler::~SigintHandler() { stop(); }

void SigintHandler::stop() {
  if (!active_) return;
  active_ = false;
  if (g_count < 3) sigaction(SIGINT, &g_previous, nullptr);
  g_loop = nullptr;
  luaL_unref(L_, LUA_REGISTRYINDEX, g_main_ref);
  g_main_ref = LUA_NOREF;
  if (!loop_->closed()) close_wake(L_, nullptr);
}

int SigintHandler::count() const { return active_ ? static_cast<int>(g_count) : 0; }

bool SigintHandler::abandoned() const { return active_ && g_abandoned; }

}  // namespace luasync
