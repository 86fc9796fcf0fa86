// traceback.cpp: see traceback.h.
#include "traceback.h"

#include <cstring>

#include "coro.h"
#include "loop.h"
#include "runtime.h"
#include "task.h"
#include "trampoline.h"

namespace luasync {

static char kLastErrorKey;  // registry: the error value the handler last saw
static char kRethrowKey;    // registry: the error value await last re-raised

namespace {
// The frames recorded beside the two registry values above. Lua states are
// used by one thread at a time, so per-thread storage is enough.
struct TracebackState {
  std::string last_frames;
  std::string rethrow_frames;
};
TracebackState& state(lua_State*) {
  static thread_local TracebackState s;
  return s;
}
}  // namespace

extern int l_await(lua_State* L);    // coro.cpp
extern int task_main(lua_State* L);  // task.cpp

// Name of the coroutine whose body runs at `ar`'s level, when the caller
// (level+1) is await or task_main: the coroutine object is local 1 there.
static bool coroutine_name(lua_State* L, int level, Task* owner, std::string* out) {
  lua_Debug caller;
  if (!lua_getstack(L, level + 1, &caller)) return false;
  if (!lua_getinfo(L, "f", &caller)) return false;
  lua_CFunction fn = lua_tocfunction(L, -1);
  lua_pop(L, 1);
  if (fn == cfn<task_main>) {  // functions are pushed as their trampolines
    // A task's body: the coroutine object is the running task's.
    Runtime* rt = runtime(L);
    Task* t = owner ? owner : rt->loop ? rt->loop->current_task() : nullptr;
    if (!t || t->co != L || t->self_ref == LUA_NOREF) return false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);
    lua_getiuservalue(L, -1, UV_CORO);
    lua_getiuservalue(L, -1, CORO_UV_NAME);
    bool ok = lua_type(L, -1) == LUA_TSTRING;
    if (ok) *out = lua_tostring(L, -1);
    lua_pop(L, 3);
    return ok;
  }
  if (fn != cfn<l_await>) return false;
  const char* local = lua_getlocal(L, &caller, 1);
  if (!local) return false;
  bool ok = false;
  if (to_coro(L, -1)) {
    lua_getiuservalue(L, -1, CORO_UV_NAME);
    if (lua_type(L, -1) == LUA_TSTRING) {
      *out = lua_tostring(L, -1);
      ok = true;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return ok;
}

std::string stack_frames(lua_State* L, int level, Task* owner) {
  std::string out;
  lua_Debug ar;
  int shown = 0;
  // On the loop's own thread (a callback), stop where the loop started.
  int end = 1 << 30;
  if (Loop* loop = runtime(L)->loop; loop && loop->thread() == L) {
    int depth = 0;
    while (lua_getstack(L, depth, &ar)) depth++;
    end = depth - loop->base_depth();
  }
  for (; level < end && lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Slnt", &ar)) continue;
    if (std::strcmp(ar.what, "C") == 0) continue;  // await, pcall, task_main...
    if (shown++ == 40) {
      out += "\t...\n";
      break;  // lua_getstack is O(level): walking a deep stack whole is quadratic
    }
    char line[600];
    std::string name;
    if (coroutine_name(L, level, owner, &name)) {
      std::snprintf(line, sizeof line, "\t%s:%d: in coroutine '%s'\n", ar.short_src, ar.currentline,
                    name.c_str());
    } else if (*ar.namewhat != '\0') {
      std::snprintf(line, sizeof line, "\t%s:%d: in %s '%s'\n", ar.short_src, ar.currentline,
                    ar.namewhat, ar.name ? ar.name : "?");
    } else if (*ar.what == 'm') {
      std::snprintf(line, sizeof line, "\t%s:%d: in main chunk\n", ar.short_src, ar.currentline);
    } else {
      std::snprintf(line, sizeof line, "\t%s:%d: in function <%s:%d>\n", ar.short_src,
                    ar.currentline, ar.short_src, ar.linedefined);
    }
    out += line;
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The message handler: records the frames, returns the error unchanged.
static int msgh(lua_State* L) {
  auto& st = state(L);
  std::string frames = stack_frames(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kRethrowKey);
  bool rethrown = lua_rawequal(L, -1, 1) && !lua_isnil(L, 1);
  lua_pop(L, 1);
  if (rethrown) {
    frames = st.rethrow_frames + (frames.empty() ? "" : "\n" + frames);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kRethrowKey);
  }
  st.last_frames = std::move(frames);
  lua_pushvalue(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kLastErrorKey);
  lua_settop(L, 1);
  return 1;
}

void push_traceback_handler(lua_State* L) { push_fn<msgh>(L); }

std::string traceback_frames_of(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kLastErrorKey);
  bool same = lua_rawequal(L, -1, idx);
  lua_pop(L, 1);
  return same ? state(L).last_frames : std::string();
}

bool push_traceback_frames_of(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kLastErrorKey);
  bool same = lua_rawequal(L, -1, idx);
  lua_pop(L, 1);
  const std::string& frames = state(L).last_frames;
  if (!same || frames.empty()) {
    lua_pushnil(L);
    return false;
  }
  lua_pushlstring(L, frames.data(), frames.size());
  return true;
}

// Frames as Python prints them: a line repeated more than three times in a
// row (a recursion, such as coroutines awaiting each other deep) is shown
// three times, then "[previous line repeated N more times]".
static std::string collapse_repeats(const std::string& frames) {
  std::string out;
  std::string prev;
  int count = 0;
  auto flush = [&] {
    if (count > 3) out += "\t[previous line repeated " + std::to_string(count - 3) + " more times]\n";
  };
  size_t pos = 0;
  while (pos <= frames.size()) {
    size_t nl = frames.find('\n', pos);
    if (nl == std::string::npos) nl = frames.size();
    std::string line = frames.substr(pos, nl - pos);
    pos = nl + 1;
    if (count > 0 && line == prev) {
      if (++count <= 3) out += line + "\n";
      continue;
    }
    flush();
    out += line + "\n";
    prev = std::move(line);
    count = 1;
  }
  flush();
  out.pop_back();  // the last newline
  return out;
}

std::string format_traceback(lua_State* L, int err_idx, const std::string& frames) {
  std::string msg = safe_tostring(L, err_idx);
  if (frames.empty()) return msg;
  return msg + "\nstack traceback:\n" + collapse_repeats(frames);
}

std::string traceback_of_last_error(lua_State* L, int idx) {
  return format_traceback(L, idx, traceback_frames_of(L, idx));
}

void note_rethrow(lua_State* L, int idx, const std::string& frames, const std::string& what) {
  lua_pushvalue(L, idx);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kRethrowKey);
  state(L).rethrow_frames = frames + (frames.empty() ? "" : "\n") + "\t(" + what + " was awaited by:)";
}

}  // namespace luasync
