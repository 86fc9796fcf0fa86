// sandbox.cpp: the child side of a check run (see sandbox.h). The Lua side,
// the sandbox environment and the check context, is learn/lua/checker.lua;
// this file gives it the limits and the runs on a virtual-clock loop.
#include "sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "asyncio_lib.h"
#include "catalog.h"
#include "confine.h"
#include "io.h"
#include "runner.h"
#include "coro.h"
#include "executor.h"
#include "future.h"
#include "loop.h"
#include "recorder.h"
#include "scope.h"
#include "runtime.h"
#include "task.h"
#include "traceback.h"
#include "trampoline.h"

#if defined(__SANITIZE_ADDRESS__)
#define LEARN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LEARN_SANITIZED 1
#endif
#endif

namespace luasync::learn {

namespace {

// The count hook fires every kHookEvery VM instructions of a thread.
constexpr int kHookEvery = 1000;
// What a loop iteration counts for, in instructions (it costs microseconds
// of C++: a task that only awaits sleep(0) runs few Lua instructions).
constexpr int kIterationCost = 500;
// Address space allowed beyond the Lua budget (RLIMIT_AS): C++ and libuv
// memory, thread stacks, the binary itself.
constexpr size_t kMemoryMargin = 512u << 20;

struct Budget {
  size_t used = 0;
  size_t soft = SIZE_MAX;  // above: the check stops
  bool over = false;
  uint64_t allocs = 0;
};
Budget g_mem;

struct Child {
  int fd = -1;
  Limits limits;
  uint64_t ticks = 0;
  uint64_t tick_limit = UINT64_MAX;
  std::string learner_src;  // short_src of the learner's chunk
  int sink_ref = LUA_NOREF;  // the run record reports go to, or none
  bool exec = false;         // `learn exec`: no records, output to stdout
  size_t base_memory = 0;    // Lua memory when the check began
  bool timeline = false;     // record each run's timeline (T records)
  std::string stream;        // printed output not sent yet (O records, `stream`)
  uint64_t stream_sent = 0;  // when output was last sent
};
Child g;

// Worker threads (asyncio.to_thread) draw on the check's budgets too: their
// instructions and memory are counted here (the workers add, the loop's
// thread reads), and the main side's figures are mirrored for them. A worker
// over a limit records which one in `over`; the loop's thread then stops
// the check as if it had gone over itself (worker_after_call, count_hook,
// the run loop).
struct WorkerBudget {
  std::atomic<uint64_t> ticks{0};
  std::atomic<size_t> memory{0};
  std::atomic<int> over{0};  // a ChildExit code, 0: none
  std::atomic<uint64_t> main_ticks{0};
  std::atomic<size_t> main_memory{0};
  std::atomic<uint64_t> tick_limit{UINT64_MAX};
  std::atomic<size_t> soft{SIZE_MAX};
};
WorkerBudget g_workers;

// The check's time (Limits::cpu_seconds, Limits::wall_seconds): the CPU time
// of this process (every thread) since the check began, and the real time as
// a backstop for waits. The real clock (vDSO) is read often; the CPU time (a
// system call) only once enough real time has passed for the CPU budget to
// be spent. The loop's thread and the workers call time_over().
//
// The backstop moves later by the time this process's threads spent waiting
// for a CPU (cpu_wait_ns), read only when it is reached: a check starved on
// a busy machine gets the same result as on an idle one. The wait grows
// only while a thread could run, that is, while the CPU budget is being
// spent: it is bounded by that budget times the load; kMaxStarvedBackstops
// bounds it anyway.
struct TimeBudget {
  std::atomic<uint64_t> look_ns{UINT64_MAX};     // real time of the next look at the CPU time
  std::atomic<uint64_t> wall_end_ns{UINT64_MAX}; // the backstop, moved by the waits seen so far
  uint64_t wall_start_ns = 0;
  uint64_t wall_ns = UINT64_MAX;  // the backstop's length
  uint64_t wait_start_ns = 0;     // cpu_wait_ns(0) when the check began
  uint64_t cpu_start_ns = 0;
  uint64_t cpu_ns = UINT64_MAX;  // the CPU budget
};
TimeBudget g_time;

uint64_t process_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Whether the real-time backstop has passed at `now`, with the waits for a
// CPU taken off.
bool wall_over(uint64_t now) {
  if (now <= g_time.wall_end_ns.load(std::memory_order_relaxed)) return false;
  uint64_t wait = cpu_wait_ns(0);
  uint64_t waited = wait - std::min(wait, g_time.wait_start_ns);
  uint64_t end = g_time.wall_start_ns + g_time.wall_ns + std::min(waited, kMaxStarvedBackstops * g_time.wall_ns);
  if (now > end) return true;
  g_time.wall_end_ns.store(end, std::memory_order_relaxed);
  return false;
}

bool time_over() {
  uint64_t now = uv_hrtime();
  if (now <= g_time.look_ns.load(std::memory_order_relaxed)) return false;
  uint64_t used = process_cpu_ns() - g_time.cpu_start_ns;
  if (used >= g_time.cpu_ns) return true;
  if (wall_over(now)) return true;
  // At most three threads spend it (the loop's and two workers); a
  // millisecond at least between looks.
  uint64_t next = now + std::max<uint64_t>((g_time.cpu_ns - used) / 3, 1'000'000);
  g_time.look_ns.store(std::min(next, g_time.wall_end_ns.load(std::memory_order_relaxed)), std::memory_order_relaxed);
  return false;
}

// C code that no hook reaches (table.move over 2^31 elements) is stopped by
// a CPU timer half a second past the budget, or by the parent past the
// real-time backstop. Under `learn exec`, a real-time alarm stands in for
// the parent.
void cpu_timer_expired(int) {
  static const char msg[] = "luasync: stopped: this program took more than its limit of CPU time\n";
  if (g.exec && ::write(2, msg, sizeof msg - 1) < 0) _exit(kExitRealTime);
  _exit(kExitRealTime);
}

void arm_timer(int which, double seconds) {
  struct itimerval t {};
  t.it_value.tv_sec = static_cast<time_t>(seconds);
  t.it_value.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
  setitimer(which, &t, nullptr);
}

[[noreturn]] void stop(lua_State* L, ChildExit code, const char* kind);

const char* limit_kind(int code) {
  return code == kExitMemory ? "memory" : code == kExitRealTime ? "time" : "instructions";
}

// Stops the check if a worker went over a limit.
void check_workers(lua_State* L) {
  if (int code = g_workers.over.load(std::memory_order_relaxed))
    stop(L, static_cast<ChildExit>(code), limit_kind(code));
}

// A sandbox child's small Lua blocks come from fresh pages of its own, not
// from glibc: after fork, glibc hands out the holes the parent's heap left,
// each on a page shared with the parent, so nearly every allocation cost a
// copy-on-write fault (a page copy and a TLB flush, a fifth of grading's CPU
// time). Pages are mapped a chunk at a time and filled in by the kernel in
// one call. A block of the parent's heap that the child frees is left alone
// (freeing it would write to its page); the child is short-lived.
class ChildArena {
 public:
  static constexpr size_t kMaxSmall = 512, kGrain = 16, kChunk = 1 << 20, kMaxChunks = 256;

  bool on() const { return on_; }
  void start() { on_ = true; }

  bool owns(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p);
    for (size_t i = chunks_; i-- > 0;)
      if (a - chunk_[i] < kChunk) return true;
    return false;
  }
  void* alloc(size_t n) {
    size_t c = (n + kGrain - 1) / kGrain;
    if (void* p = free_[c]) {
      free_[c] = *static_cast<void**>(p);
      return p;
    }
    size_t size = c * kGrain;
    if (end_ - cur_ < size && !grow()) return nullptr;
    void* p = reinterpret_cast<void*>(cur_);
    cur_ += size;
    return p;
  }
  void release(void* p, size_t n) {
    size_t c = (n + kGrain - 1) / kGrain;
    *static_cast<void**>(p) = free_[c];
    free_[c] = p;
  }

 private:
  bool grow() {
    if (chunks_ == kMaxChunks) return false;
    void* m = ::mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) return false;  // RLIMIT_AS: Lua raises "not enough memory"
    chunk_[chunks_++] = reinterpret_cast<uintptr_t>(m);
    cur_ = reinterpret_cast<uintptr_t>(m);
    end_ = cur_ + kChunk;
    return true;
  }
  bool on_ = false;
  uintptr_t cur_ = 0, end_ = 0;
  uintptr_t chunk_[kMaxChunks] = {};
  size_t chunks_ = 0;
  void* free_[kMaxSmall / kGrain + 1] = {};
};
ChildArena g_arena;

void* arena_realloc(void* ptr, size_t osize, size_t nsize) {
  bool mine = ptr && g_arena.owns(ptr);
  if (mine && nsize <= ChildArena::kMaxSmall &&
      (nsize + ChildArena::kGrain - 1) / ChildArena::kGrain == (osize + ChildArena::kGrain - 1) / ChildArena::kGrain)
    return ptr;  // the same size class
  if (!ptr && nsize > ChildArena::kMaxSmall) return std::malloc(nsize);
  if (ptr && !mine && osize > ChildArena::kMaxSmall && nsize > ChildArena::kMaxSmall) return std::realloc(ptr, nsize);
  void* p = nsize <= ChildArena::kMaxSmall ? g_arena.alloc(nsize) : std::malloc(nsize);
  if (!p) return nullptr;
  if (ptr) {
    std::memcpy(p, ptr, std::min(osize, nsize));
    if (mine) g_arena.release(ptr, osize);
    else if (osize > ChildArena::kMaxSmall) std::free(ptr);  // glibc's large block
    // else: a small block of the parent's heap, left alone
  }
  return p;
}

void arena_free(void* ptr, size_t osize) {
  if (g_arena.owns(ptr)) g_arena.release(ptr, osize);
  else if (osize > ChildArena::kMaxSmall) std::free(ptr);
}

// A child's writes to the heap it shares with its parent each cost a
// copy-on-write fault, and a fault is dear on a virtual machine (an exit to
// the hypervisor for the TLB flush): a child of the grader took some 600 of
// them. One madvise copies the whole heap at once, with no fault; a large
// heap is left to the faults (the copy would cost more than it saves).
void prefault_heap() {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels say EINVAL, and nothing changes
#endif
  constexpr unsigned long kMaxPrefault = 64ul << 20;
  int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[16384];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);  // [heap] comes early, after the executable's lines
  ::close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  // The heap may be split in several mappings, one line each.
  unsigned long total = 0;
  for (char* heap = std::strstr(buf, "[heap]"); heap; heap = std::strstr(heap + 6, "[heap]")) {
    char* line = heap;
    while (line > buf && line[-1] != '\n') line--;
    unsigned long from = 0, to = 0;
    if (std::sscanf(line, "%lx-%lx", &from, &to) != 2 || to <= from) return;
    total += to - from;
    if (total > kMaxPrefault) return;
    madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
  }
}

// The engine state's allocator. In a child, growing past the budget stops
// the check at once (code that allocates without running Lua instructions,
// such as thousands of tiny tasks in one loop iteration, never reaches a
// hook tick); it also watches the clock every so many allocations.
void* budget_alloc(void*, void* ptr, size_t osize, size_t nsize) {
  if (!ptr) osize = 0;  // then osize is a type tag
  if (nsize == 0) {
    if (g_arena.on()) arena_free(ptr, osize);
    else std::free(ptr);
    g_mem.used -= osize;
    return nullptr;
  }
  if (nsize > osize) {
    size_t grow = nsize - osize;
    size_t used = g_mem.used + g_workers.memory.load(std::memory_order_relaxed);
    if (used >= g_mem.soft || grow > g_mem.soft - used) {
      g_mem.over = true;
      stop(nullptr, kExitMemory, "memory");
    }
    if ((++g_mem.allocs & 1023) == 0 && time_over()) stop(nullptr, kExitRealTime, "time");
  }
  void* p = g_arena.on() ? arena_realloc(ptr, osize, nsize) : std::realloc(ptr, nsize);
  if (!p) return nullptr;  // RLIMIT_AS: Lua raises "not enough memory"
  g_mem.used = g_mem.used - osize + nsize;
  g_workers.main_memory.store(g_mem.used, std::memory_order_relaxed);
  return p;
}

// A worker state's allocator: the same budget, counted atomically.
void* worker_alloc(void*, void* ptr, size_t osize, size_t nsize) {
  if (!ptr) osize = 0;
  if (nsize == 0) {
    std::free(ptr);
    g_workers.memory.fetch_sub(osize, std::memory_order_relaxed);
    return nullptr;
  }
  if (nsize > osize) {
    size_t grow = nsize - osize;
    size_t used = g_workers.main_memory.load(std::memory_order_relaxed) + g_workers.memory.load(std::memory_order_relaxed);
    size_t soft = g_workers.soft.load(std::memory_order_relaxed);
    if (used >= soft || grow > soft - used) {
      int none = 0;
      g_workers.over.compare_exchange_strong(none, kExitMemory);
      return nullptr;  // Lua raises "not enough memory" in the worker
    }
  }
  void* p = std::realloc(ptr, nsize);
  if (!p) return nullptr;
  if (nsize > osize)
    g_workers.memory.fetch_add(nsize - osize, std::memory_order_relaxed);
  else
    g_workers.memory.fetch_sub(osize - nsize, std::memory_order_relaxed);
  return p;
}

// A worker state's count hook: the shared instruction budget and the real
// time; over either (or memory), the call is taken away (a yield from the
// hook, which no pcall in the call can catch).
void worker_hook(lua_State* W, lua_Debug* ar) {
  if (ar->event != LUA_HOOKCOUNT) return;
  uint64_t t = g_workers.ticks.fetch_add(1, std::memory_order_relaxed) + 1;
  int code = g_workers.over.load(std::memory_order_relaxed);
  if (!code && t + g_workers.main_ticks.load(std::memory_order_relaxed) > g_workers.tick_limit.load(std::memory_order_relaxed))
    code = kExitInstructions;
  if (!code && (t & 7) == 0 && time_over()) code = kExitRealTime;
  if (!code) return;
  int none = 0;
  g_workers.over.compare_exchange_strong(none, code);
  if (lua_isyieldable(W))
    lua_yield(W, 0);
  else
    luaL_error(W, "stopped: the check went over its %s limit", limit_kind(code));
}

// Functions a worker of an exercise does not have.
int worker_unavailable(lua_State* W) {
  return luaL_error(W, "%s is not available in a thread in exercises%s", lua_tostring(W, lua_upvalueindex(1)),
                    lua_tostring(W, lua_upvalueindex(2)));
}

void set_unavailable(lua_State* W, int table, const char* field, const char* name, const char* why) {
  lua_pushstring(W, name);
  lua_pushstring(W, why);
  push_closure<worker_unavailable>(W, 2);
  lua_setfield(W, table, field);
}

// setmetatable without finalizers (they would run outside the budgets).
int worker_setmetatable(lua_State* W) {
  if (lua_istable(W, 2) && lua_getfield(W, 2, "__gc") != LUA_TNIL)
    return luaL_error(W, "__gc metamethods are not allowed in exercises");
  lua_settop(W, 2);
  luaL_checktype(W, 1, LUA_TTABLE);
  if (!lua_isnil(W, 2)) luaL_checktype(W, 2, LUA_TTABLE);
  if (luaL_getmetafield(W, 1, "__metatable") != LUA_TNIL) return luaL_error(W, "cannot change a protected metatable");
  lua_setmetatable(W, 1);
  return 1;
}

// load of source text only, with the globals (or the given env).
int worker_load(lua_State* W) {
  size_t n;
  const char* s = luaL_checklstring(W, 1, &n);
  if (n > 0 && s[0] == 27) return luaL_error(W, "load: binary chunks are not allowed in exercises");
  const char* name = luaL_optstring(W, 2, s);
  int env = lua_isnone(W, 4) ? 0 : 4;
  if (luaL_loadbufferx(W, s, n, name, "t") != LUA_OK) {
    lua_pushnil(W);
    lua_insert(W, -2);
    return 2;
  }
  if (env) {
    lua_pushvalue(W, env);
    lua_setupvalue(W, -2, 1);
  }
  return 1;
}

// The libraries of an exercise's worker: what the sandbox gives exercises
// that a thread can use (no print: a thread's output would not be
// captured; return it instead).
int open_worker_sandbox(lua_State* W) {
  static const Reg libs[] = {{LUA_GNAME, fn<luaopen_base>},        {LUA_STRLIBNAME, fn<luaopen_string>},
                                  {LUA_TABLIBNAME, fn<luaopen_table>},  {LUA_MATHLIBNAME, fn<luaopen_math>},
                                  {LUA_UTF8LIBNAME, fn<luaopen_utf8>},  {LUA_COLIBNAME, fn<luaopen_coroutine>},
                                  {LUA_OSLIBNAME, fn<luaopen_os>},      {nullptr, nullptr}};
  for (const Reg* l = libs; l->func; l++) {
    luaL_requiref(W, l->name, l->func, 1);
    lua_pop(W, 1);
  }
  lua_pushglobaltable(W);
  int G = lua_gettop(W);
  for (const char* name : {"dofile", "loadfile"}) set_unavailable(W, G, name, name, " (exercises cannot read files)");
  set_unavailable(W, G, "print", "print", " (return what you want to print)");
  set_unavailable(W, G, "collectgarbage", "collectgarbage", "");
  push_fn<worker_setmetatable>(W);
  lua_setfield(W, G, "setmetatable");
  push_fn<worker_load>(W);
  lua_setfield(W, G, "load");
  lua_getglobal(W, "string");
  lua_pushnil(W);
  lua_setfield(W, -2, "dump");
  lua_pop(W, 1);
  lua_createtable(W, 0, 4);  // os: the clock and dates only
  lua_getglobal(W, "os");
  for (const char* name : {"clock", "time", "date", "difftime"}) {
    lua_getfield(W, -1, name);
    lua_setfield(W, -3, name);
  }
  lua_pop(W, 1);
  lua_setglobal(W, "os");
  return 0;
}

lua_State* sandbox_worker_state() {
  lua_State* W = lua_newstate(worker_alloc, nullptr);
  if (W) install_panic_handler(W);  // trampoline.h
  if (!W) return nullptr;
  lua_sethook(W, worker_hook, LUA_MASKCOUNT, kHookEvery);
  push_fn<open_worker_sandbox>(W);
  if (lua_pcall(W, 0, 0, 0) != LUA_OK) {
    lua_close(W);
    return nullptr;
  }
  return W;
}

// Before a worker's result is delivered: a worker over a limit stops the
// check now.
void worker_after_call(lua_State* L) { check_workers(L); }

// What the sandbox's runtime gives worker threads.
void restrict_runtime(lua_State* L) {
  Runtime* rt = runtime(L);
  rt->restricted = true;  // no signal handlers
  rt->workers.new_state = sandbox_worker_state;
  rt->workers.fresh_state_per_call = true;
  rt->workers.after_call = worker_after_call;
  rt->workers.max_workers = 2;
}

// A check's result record ("R") waits here for the next record (the next
// check's "B", or "D"), so that each check costs the parent one wake-up
// instead of two. Only trusted checker code runs in between, well within the
// parent's margin on the real-time limit.
std::string g_held;

void write_all(std::string s) {
  if (!g.stream.empty()) {  // printed output goes first, in order
    s.insert(0, "O\t" + encode_field(g.stream) + "\n");
    g.stream.clear();
    g.stream_sent = uv_hrtime();
  }
  if (!g_held.empty()) {
    s.insert(0, g_held);
    g_held.clear();
  }
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(g.fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(kExitInternal);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The innermost line of the learner's file on L's stack, or 0.
int learner_line(lua_State* L) {
  lua_Debug ar;
  for (int level = 0; level < 200 && lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && g.learner_src == ar.short_src) return ar.currentline;
  }
  return 0;
}

// Reports that a limit stopped the check and ends the child.
[[noreturn]] void stop(lua_State* L, ChildExit code, const char* kind) {
  int line = L ? learner_line(L) : 0;
  if (g.exec) {
    std::string msg = "luasync: " + limit_message(kind, g.limits) + "\n";
    if (::write(2, msg.data(), msg.size()) < 0) _exit(code);
    _exit(code);
  }
  std::string rec = std::string("L\t") + kind + "\t" + (line ? std::to_string(line) : "") + "\n";
  write_all(rec);
  _exit(code);
}

void count_hook(lua_State* L, lua_Debug* ar) {
  if (ar->event != LUA_HOOKCOUNT) return;
  g.ticks++;
  g_workers.main_ticks.store(g.ticks, std::memory_order_relaxed);
  check_workers(L);
  if (g_mem.over) stop(L, kExitMemory, "memory");
  if (g.ticks + g_workers.ticks.load(std::memory_order_relaxed) > g.tick_limit) stop(L, kExitInstructions, "instructions");
  if ((g.ticks & 7) == 0 && time_over()) stop(L, kExitRealTime, "time");
}

void reset_budgets() {
  g.ticks = 0;
  g.tick_limit = g.limits.instructions / kHookEvery;
  uint64_t now = uv_hrtime();
  g_time.wall_start_ns = now;
  g_time.wall_ns = static_cast<uint64_t>(g.limits.wall_seconds() * 1e9);
  g_time.wall_end_ns = now + g_time.wall_ns;
  g_time.wait_start_ns = cpu_wait_ns(0);
  g_time.cpu_ns = static_cast<uint64_t>(g.limits.cpu_seconds * 1e9);
  g_time.cpu_start_ns = process_cpu_ns();
  g_time.look_ns = now + g_time.cpu_ns / 3;
  std::signal(SIGPROF, cpu_timer_expired);
  arm_timer(ITIMER_PROF, g.limits.cpu_seconds + 0.5);
  g.base_memory = g_mem.used;
  g_mem.soft = g_mem.used + g.limits.memory;
  g_mem.over = false;
  // (No worker runs between checks: see stop_worker_calls in l_run.)
  g_workers.ticks = 0;
  g_workers.over = 0;
  g_workers.main_ticks = 0;
  g_workers.main_memory = g_mem.used;
  g_workers.tick_limit = g.tick_limit;
  g_workers.soft = g_mem.soft;
}

// ---------------------------------------------------------------- I/O policy

// The socket check (io.h, IoPolicy::net): with the http grant, binds only to
// a loopback address, connections only to loopback ports where a server of
// this process listens (the check's test server, or one the exercise
// started); without it, nothing.
bool is_loopback(const sockaddr* a) {
  if (a->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr) >> 24) == 127;
  if (a->sa_family == AF_INET6) {
    const in6_addr& ad = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&ad)) return true;
    return IN6_IS_ADDR_V4MAPPED(&ad) && ad.s6_addr[12] == 127;
  }
  return false;
}

bool net_loopback_servers(const sockaddr* a, bool bind) {
  if (!is_loopback(a)) return false;
  if (bind) return true;
  int port = a->sa_family == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in*>(a)->sin_port)
                                     : ntohs(reinterpret_cast<const sockaddr_in6*>(a)->sin6_port);
  return is_local_listener(port);
}

bool net_nothing(const sockaddr*, bool) { return false; }

// Runtime::trusted_function: whether a __tostring the runtime meets in a
// finalizer (where the instruction hook does not run) may be called: C
// functions and the code of luasync and of the lessons' checks, never the
// learner's.
bool trusted_function(lua_State* L, int idx) {
  if (lua_iscfunction(L, idx)) return true;
  if (lua_type(L, idx) != LUA_TFUNCTION) return false;
  lua_Debug ar;
  lua_pushvalue(L, idx);
  if (!lua_getinfo(L, ">S", &ar) || !ar.source) return false;
  return std::strncmp(ar.source, "@[", 2) == 0 || std::strncmp(ar.source, "@lessons/", 9) == 0;
}


// The fs grant's quota: bytes asyncio.fs may still write in WORKDIR. Each
// write is charged before it starts (what is overwritten or deleted is not
// given back: a bound on the volume written, so also on the space used).
constexpr size_t kFsQuota = 64u << 20;
size_t g_fs_left = 0;
char g_quota_msg[256];

const char* charge_write(size_t bytes) {
  if (bytes <= g_fs_left) {
    g_fs_left -= bytes;
    return nullptr;
  }
  std::snprintf(g_quota_msg, sizeof g_quota_msg,
                "fs quota: an exercise may write at most %zu MB in WORKDIR (this write of %zu bytes would "
                "pass it)",
                kFsQuota >> 20, bytes);
  return g_quota_msg;
}

size_t g_du = 0;
int add_size(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_F) g_du += static_cast<size_t>(st->st_size);
  return 0;
}

// Bytes in the files under dir (what earlier checks of the exercise left).
size_t disk_usage(const std::string& dir) {
  g_du = 0;
  nftw(dir.c_str(), add_size, 16, FTW_PHYS);
  return g_du;
}

// The I/O policy and the runtime hooks of a process that runs learner code.
void set_policies(bool network) {
  if (sandbox_support().usable & kLayerSocketCheck) io_policy().net = network ? net_loopback_servers : net_nothing;
  io_policy().write = charge_write;  // g_fs_left: 0 unless an fs job sets it
}

// The environment of every program an exercise starts: nothing of the
// grader's (no LD_PRELOAD, no loader or library variables), except the
// sanitizers' options in sanitizer builds.
void push_spawn_env(lua_State* L, const std::string& workdir) {
  lua_createtable(L, 0, 6);
  lua_pushliteral(L, "/usr/bin:/bin");
  lua_setfield(L, -2, "PATH");
  lua_pushliteral(L, "C.UTF-8");
  lua_setfield(L, -2, "LANG");
  lua_pushstring(L, workdir.empty() ? "/nonexistent" : workdir.c_str());
  lua_setfield(L, -2, "HOME");
  if (!workdir.empty()) {
    lua_pushstring(L, workdir.c_str());
    lua_setfield(L, -2, "TMPDIR");
  }
#ifdef LEARN_SANITIZED
  // A sanitized program turns core dumps off with setrlimit at start unless
  // told not to, and the system-call filter refuses setrlimit: it would die
  // before main. Core dumps are off anyway (RLIMIT_CORE is 0 in here).
  for (const char* v : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    const char* x = std::getenv(v);
    bool asan = std::strcmp(v, "ASAN_OPTIONS") == 0;
    if (!x && !asan) continue;
    lua_pushstring(L, x ? x : "");
    if (asan) lua_pushliteral(L, ":disable_coredump=0");
    lua_concat(L, asan ? 2 : 1);
    lua_setfield(L, -2, v);
  }
#endif
}

// ---------------------------------------------------------------- reports

// Appends the value on top of the stack to the array field `key` of the
// table at rec (creating it); pops the value.
void append_to(lua_State* L, int rec, const char* key) {
  lua_pushstring(L, key);
  if (lua_rawget(L, rec) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushstring(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, rec);
  }
  lua_insert(L, -2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  lua_pop(L, 1);
}

// Runtime::report_hook in the child: the warnings go into the current run
// record (r.warnings, r.never_awaited, r.unretrieved) instead of stderr.
// Appends the warning whose text is the string at text_idx to the record
// at rec: to r.warnings, and with its kind to r.diagnostics. Only the Lua
// API: nothing here outlives an error.
void sink_warning(lua_State* L, int rec, const char* kind, int text_idx) {
  lua_pushvalue(L, text_idx);
  append_to(L, rec, "warnings");
  // Every warning with its kind, for the check result's diagnostics.
  lua_createtable(L, 0, 2);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushvalue(L, text_idx);
  lua_setfield(L, -2, "text");
  append_to(L, rec, "diagnostics");
}

void report_to_sink(lua_State* L, const char* kind, const std::string& text, int idx) {
  if (g.sink_ref == LUA_NOREF || !lua_checkstack(L, 10)) return;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, g.sink_ref);
  int rec = lua_gettop(L);
  lua_pushlstring(L, text.data(), text.size());
  sink_warning(L, rec, kind, lua_gettop(L));
  lua_pop(L, 1);
  if (std::strcmp(kind, "never_awaited") == 0 && idx) {
    lua_createtable(L, 0, 3);
    Coro* c = to_coro(L, idx);
    lua_getiuservalue(L, idx, CORO_UV_NAME);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      lua_pushliteral(L, "anonymous");
    }
    lua_setfield(L, -2, "name");
    if (c && c->line > 0) {
      lua_pushinteger(L, c->line);
      lua_setfield(L, -2, "line");
    }
    auto colon = text.find(": RuntimeWarning");
    lua_pushstring(L, text.substr(0, colon == std::string::npos ? 0 : colon).c_str());
    lua_setfield(L, -2, "where");
    append_to(L, rec, "never_awaited");
  } else if (std::strcmp(kind, "unretrieved") == 0 && idx) {
    lua_createtable(L, 0, 4);
    lua_getiuservalue(L, idx, UV_RESULT);
    std::string msg = safe_tostring(L, -1);
    lua_setfield(L, -2, "error");
    lua_pushlstring(L, msg.data(), msg.size());
    lua_setfield(L, -2, "message");
    std::string what = describe_value(L, idx);
    lua_pushlstring(L, what.data(), what.size());
    lua_setfield(L, -2, "task");
    lua_pushlstring(L, text.data(), text.size());
    lua_setfield(L, -2, "text");
    append_to(L, rec, "unretrieved");
  }
  lua_settop(L, top);
}

// ---------------------------------------------------------------- futures never awaited

// The futures asyncio.gather made in the learner's code during the current
// run (learn/lua/checker.lua wraps the sandbox's gather): registry[&key] is
// an array of { future, "file:line: RuntimeWarning: ..." }. A future still
// pending when the run's main task is over, with nothing waiting on it (no
// done callback: no task awaits it, no gather or wait_for holds it), was
// almost always meant to be awaited: `local r = asyncio.gather(a(), b())`
// and then r[1], which is nil (a future has no field 1).
char g_tracked_key;

// track_future(fut, text)
int l_track_future(lua_State* L) {
  if (!to_future(L, 1)) return 0;
  luaL_checkstring(L, 2);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &g_tracked_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &g_tracked_key);
  }
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, 2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  return 0;
}

void forget_tracked_futures(lua_State* L) {
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &g_tracked_key);
}

// Reports (as the diagnostic "future_not_awaited") every tracked future
// still pending with nothing waiting on it, then forgets them all. Called
// when the main task is over, before the loop's shutdown cancels what is
// left.
void report_unawaited_futures(lua_State* L) {
  int top = lua_gettop(L);
  if (g.sink_ref != LUA_NOREF && lua_checkstack(L, 10) &&
      lua_rawgetp(L, LUA_REGISTRYINDEX, &g_tracked_key) == LUA_TTABLE) {
    int list = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, g.sink_ref);
    int rec = lua_gettop(L);
    lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, list));
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, list, i);
      lua_rawgeti(L, -1, 1);
      Future* f = to_future(L, -1);
      if (f && !f->done() && f->ncallbacks == 0) {
        lua_rawgeti(L, -2, 2);
        if (lua_type(L, -1) == LUA_TSTRING) sink_warning(L, rec, "future_not_awaited", lua_gettop(L));
      }
      lua_settop(L, rec);
    }
  }
  lua_settop(L, top);
  forget_tracked_futures(L);
}

// ---------------------------------------------------------------- natives

// emit(kind, fields...): writes one record.
int l_emit(lua_State* L) {
  int n = lua_gettop(L);
  std::string rec;
  for (int i = 1; i <= n; i++) {
    if (i > 1) rec += '\t';
    size_t len;
    const char* s = luaL_tolstring(L, i, &len);
    rec += encode_field(std::string(s, len));
    lua_pop(L, 1);
  }
  rec += '\n';
  if (rec[0] == 'R' && rec[1] == '\t')
    g_held += rec;
  else
    write_all(std::move(rec));
  return 0;
}

// stream(s): output printed in run mode with `stream`, sent as it comes:
// at once if nothing was sent for 20 ms, else with the next record (or
// when 16 KB have piled up), so a burst of prints costs few writes and
// output printed just before a limit stops the run still arrives.
int l_stream(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  g.stream.append(s, len);
  uint64_t now = uv_hrtime();
  if (g.stream.size() >= (16u << 10) || now - g.stream_sent >= 20'000'000) write_all("");
  return 0;
}

// write(s): `learn exec` output (stdout; stderr if the second argument is true).
int l_write(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  int fd = lua_toboolean(L, 2) ? 2 : g.fd;
  while (len > 0) {
    ssize_t w = ::write(fd, s, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      break;
    }
    s += w;
    len -= static_cast<size_t>(w);
  }
  return 0;
}

// restore(sealed, upvalues): puts the shared tables back as checker.lua's
// seal() found them; sealed is an array of {t = table, saved = {k = v}, mt =
// metatable}, upvalues a flat array of (function, index, value) and n.
int l_restore(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 2, "n");
  lua_Integer nup = lua_tointeger(L, -1);
  lua_pop(L, 1);
  for (lua_Integer k = 1; k + 2 <= nup; k += 3) {
    lua_rawgeti(L, 2, k);      // the function
    lua_rawgeti(L, 2, k + 1);  // the index
    int i = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
    lua_rawgeti(L, 2, k + 2);  // the value it had
    if (!lua_getupvalue(L, -2, i)) {
      lua_pop(L, 2);
      continue;
    }
    if (!lua_rawequal(L, -1, -2)) {
      lua_pop(L, 1);
      lua_setupvalue(L, -2, i);  // pops the value it had
    } else {
      lua_pop(L, 2);
    }
    lua_pop(L, 1);  // the function
  }
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);  // entry
    int e = lua_gettop(L);
    lua_getfield(L, e, "t");
    lua_getfield(L, e, "saved");
    int t = e + 1, saved = e + 2;
    if (!lua_istable(L, t) || !lua_istable(L, saved)) {
      lua_settop(L, e - 1);
      continue;
    }
    // Keys added since: removed (collected first: no assignment during
    // lua_next; the list is only made when there is one, which is rare).
    int extra = 0;
    lua_Integer nextra = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, saved) == LUA_TNIL) {
        if (!extra) {
          lua_newtable(L);
          lua_insert(L, -3);  // below the key and the nil
          extra = lua_gettop(L) - 2;
        }
        lua_pushvalue(L, -2);
        lua_rawseti(L, extra, ++nextra);
      }
      lua_pop(L, 1);
    }
    for (lua_Integer k = 1; k <= nextra; k++) {
      lua_rawgeti(L, extra, k);
      lua_pushnil(L);
      lua_rawset(L, t);
    }
    if (extra) lua_remove(L, extra);
    // Keys changed or removed since: their saved values.
    lua_pushnil(L);
    while (lua_next(L, saved)) {
      lua_pushvalue(L, -2);
      lua_rawget(L, t);
      if (!lua_rawequal(L, -1, -2)) {
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_rawset(L, t);
      }
      lua_pop(L, 2);
    }
    lua_getfield(L, e, "mt");
    if (!lua_getmetatable(L, t)) lua_pushnil(L);
    if (!lua_rawequal(L, -1, -2)) {
      lua_pop(L, 1);
      lua_setmetatable(L, t);
    } else {
      lua_pop(L, 2);
    }
    lua_settop(L, e - 1);
  }
  return 0;
}

// begin_check(i): fresh budgets for check i (0-based), announced to the parent.
int l_begin_check(lua_State* L) {
  lua_Integer i = luaL_checkinteger(L, 1);
  reset_budgets();
  write_all("B\t" + std::to_string(i) + "\n");
  return 0;
}

// end_check(): a check that went over its memory budget fails on that.
int l_end_check(lua_State* L) {
  if (g_mem.over) stop(L, kExitMemory, "memory");
  if (std::getenv("LUASYNC_LEARN_DEBUG"))
    std::fprintf(stderr, "luasync learn: check used %llu thousand instructions, %lld KB more Lua memory\n",
                 static_cast<unsigned long long>(g.ticks), (static_cast<long long>(g_mem.used) - static_cast<long long>(g.base_memory)) / 1024);
  return 0;
}

// limit(kind): stops the check on a limit the Lua side enforces (output).
int l_limit(lua_State* L) {
  const char* kind = luaL_checkstring(L, 1);
  stop(L, std::strcmp(kind, "output") == 0 ? kExitOutput : kExitInternal, kind);
}

// charge(n): counts n instructions (for C functions that work hard, such as
// a full garbage collection).
int l_charge(lua_State* L) {
  g.ticks += static_cast<uint64_t>(luaL_checkinteger(L, 1)) / kHookEvery;
  if (g.ticks > g.tick_limit) stop(L, kExitInstructions, "instructions");
  return 0;
}

// set_sink(record | nil): where the runtime's reports go from now on.
int l_set_sink(lua_State* L) {
  if (g.sink_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, g.sink_ref);
  g.sink_ref = LUA_NOREF;
  if (lua_istable(L, 1)) {
    lua_pushvalue(L, 1);
    g.sink_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

// set_learner(short_src): the learner's chunk, for the line of a limit.
int l_set_learner(lua_State* L) {
  g.learner_src = luaL_checkstring(L, 1);
  return 0;
}

// reset_tasks(): task names count from Task-1 again (each run is a program).
int l_reset_tasks(lua_State* L) {
  runtime(L)->next_task_number = 1;
  return 0;
}

// block(seconds): time.sleep in the sandbox. Under a loop's virtual clock it
// moves the clock as if the loop had been blocked; outside a loop it costs
// nothing (a check never waits in real time).
int l_block(lua_State* L) {
  double s = luaL_checknumber(L, 1);
  Runtime* rt = runtime(L);
  if (rt->loop && rt->loop->clock().is_virtual() && s > 0) rt->loop->clock().advance_to(rt->loop->time() + s);
  return 0;
}

// traceback(err): the traceback recorded for err by the runtime's handler.
int l_traceback(lua_State* L) {
  std::string tb = traceback_of_last_error(L, 1);
  lua_pushlstring(L, tb.data(), tb.size());
  return 1;
}

// path_inside(path, root): the absolute form of path (relative paths are
// taken from root) if it stays inside root after resolving "..", symlinks
// and the like; nil otherwise.
int l_path_inside(lua_State* L) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root = fs::weakly_canonical(luaL_checkstring(L, 2), ec);
  fs::path p = luaL_checkstring(L, 1);
  if (p.is_relative()) p = root / p;
  fs::path c = fs::weakly_canonical(p, ec);
  if (ec) return 0;
  auto r = root.lexically_normal().generic_string();
  auto s = c.lexically_normal().generic_string();
  if (s == r || (s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/')) {
    lua_pushstring(L, s.c_str());
    return 1;
  }
  return 0;
}

// The recorder of the run in progress (run mode with `timeline`).
Recorder* g_recorder = nullptr;
// The text chart of the last run (`learn run`), kept here so that no local
// std::string is live when it is pushed (the error discipline).
std::string g_chart;

// Writes the T record of a finished run and frees its recorder.
void send_timeline(Recorder* rec) {
  rec->stop();
  {
    SvgTimelineStyle st;
    st.standalone = false;
    st.width = 900;
    write_all("T\t" + encode_field(render_timeline_svg(*rec, st)) + "\t" + encode_field(timeline_snapshots_json(*rec)) +
              "\n");
  }
  if (g_recorder == rec) g_recorder = nullptr;
  delete rec;
}

// Closes the loop and clears the running loop if a run ends by an error
// (and stops its recording first: the recorder reads the loop's clock).
struct RunGuard {
  lua_State* L;
  Loop* loop;
  Recorder* rec = nullptr;
  ~RunGuard() {
    if (!loop) return;
    if (rec) rec->stop();
    if (!loop->closed()) loop->close(L);
    if (runtime(L)->loop == loop) runtime(L)->loop = nullptr;
  }
};

void set_number(lua_State* L, int t, const char* k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, t, k);
}

double get_number(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

// run(record, raise, vlimit, debug, coro [, timeline]): runs the coroutine object as the
// main task of a fresh loop on the virtual clock, until it is done, nothing
// can happen any more (a deadlock), or the clock passes vlimit; then shuts
// the loop down like asyncio.run. Fills the record: values (packed), error,
// traceback, time (added to), tasks (added to: tasks created besides the
// main one), finished, deadlock, timed_out, and with `timeline` (a table
// {width =, color =}) the timeline of the run (timeline, a string). With
// `raise`, behaves like asyncio.run instead: returns the results or raises
// the error. Debug mode's slow-step warning counts 0.5 s of real time here
// (time.sleep is reported on its own, from the virtual clock).
int l_run(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  bool raise = lua_toboolean(L, 2);
  double vlimit = luaL_checknumber(L, 3);
  bool debug = lua_toboolean(L, 4);
  // The text chart's width and colors (a TimelineStyle is built only where
  // nothing can raise: it holds a std::string).
  lua_settop(L, 6);
  bool timeline = lua_istable(L, 6);
  int chart_width = 80;
  bool chart_color = false;
  if (timeline) {
    chart_width = static_cast<int>(get_number(L, 6, "width"));
    if (chart_width < 40) chart_width = 80;
    lua_getfield(L, 6, "color");
    chart_color = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 5);
  Runtime* rt = runtime(L);
  if (rt->loop) return luaL_error(L, "asyncio.run() cannot be called from a running event loop");
  if (!to_coro(L, 5)) return luaL_argerror(L, 5, "coroutine object expected");
  Loop::Options o;
  o.virtual_clock = true;
  o.debug = debug;
  o.slow_callback_duration = 0.5;
  o.autojump_grace = g.limits.autojump_grace;
  rt->worker_stats.calls = 0;
  rt->worker_stats.max_in_flight = rt->worker_stats.in_flight;
  forget_tracked_futures(L);
  Loop* loop = loop_open(L, o);  // 6
  // Closes the loop if the run ends by an error (a to-be-closed value: a
  // Lua error runs no C++ destructor).
  RunGuard& guard = *push_scoped<RunGuard>(L, L, loop);  // 7
  // Run mode with `timeline` (the tour's picture) or a text chart (`learn
  // run`): the recording of this run. Owned here only until it is sent or
  // rendered; the child exits on a limit, and nothing here outlives a job.
  Recorder* rec = nullptr;
  if (g.timeline || timeline) {
    delete g_recorder;
    g_recorder = rec = new Recorder(loop);
    if (g.timeline) rec->set_snapshots(true);
    guard.rec = rec;
  }
  uint64_t first_task = rt->next_task_number;
  Task* main = push_new_task(L, 5, 0);  // 8
  bool over = false;
  unsigned iterations = 0;
  loop->run_until([&] {
    // A loop iteration costs like ~100 instructions: a task that only
    // awaits sleep(0) forever runs few instructions but keeps the loop busy.
    // The hook counts per thread, so short-lived tasks may never reach a
    // tick: the memory flag and the clock are checked here too.
    if (++iterations % (kHookEvery / kIterationCost) == 0) {
      if (++g.ticks + g_workers.ticks.load(std::memory_order_relaxed) > g.tick_limit)
        stop(L, kExitInstructions, "instructions");
      check_workers(L);
      if (g_mem.over) stop(L, kExitMemory, "memory");
      if (time_over()) stop(L, kExitRealTime, "time");
    }
    if (loop->time() > vlimit) over = true;  // also if main finished in that jump
    return over || main->done();
  });
  double end = std::min(loop->time(), vlimit);
  bool done = main->done() && !over;
  // 9: the deadlock's message, or nil (a Lua string: no C++ string across a raise)
  bool deadlock = !main->done() && !over;
  if (deadlock) {
    std::string msg = "deadlock: " + describe_value(L, 8) +
                      " is waiting, and nothing can ever wake it (no ready callbacks, no timers, no I/O)";
    lua_pushlstring(L, msg.data(), msg.size());
  } else {
    lua_pushnil(L);
  }
  if (main->done()) future_mark_retrieved(L, main);
  report_unawaited_futures(L);
  loop_shutdown(L, loop);
  stop_worker_calls(L);  // nothing a run started in a thread outlives it
  check_workers(L);      // a worker that went over a limit fails the check
  guard.loop = nullptr;
  if (rt->loop == loop) rt->loop = nullptr;
  if (rec) {
    if (timeline) {
      rec->stop();
      TimelineStyle style;
      style.width = chart_width;
      style.color = chart_color;
      g_chart = render_timeline(*rec, style);
    }
    if (g.timeline) {
      send_timeline(rec);
    } else {
      rec->stop();
      if (g_recorder == rec) g_recorder = nullptr;
      delete rec;
    }
  }
  if (timeline) {
    lua_pushlstring(L, g_chart.data(), g_chart.size());
    lua_setfield(L, 1, "timeline");
  }

  set_number(L, 1, "time", get_number(L, 1, "time") + end);
  lua_getfield(L, 1, "tasks");
  lua_Integer tasks = lua_tointeger(L, -1) + static_cast<lua_Integer>(rt->next_task_number - first_task - 1);
  lua_pop(L, 1);
  lua_pushinteger(L, tasks);
  lua_setfield(L, 1, "tasks");
  lua_pushboolean(L, done);
  lua_setfield(L, 1, "finished");
  // Calls handed to threads in this run (added up over the runs of a check),
  // and the most that were in flight at once.
  lua_getfield(L, 1, "threads");
  lua_pushinteger(L, lua_tointeger(L, -1) + static_cast<lua_Integer>(rt->worker_stats.calls));
  lua_setfield(L, 1, "threads");
  lua_pop(L, 1);
  lua_getfield(L, 1, "threads_at_once");
  lua_pushinteger(L, std::max<lua_Integer>(lua_tointeger(L, -1), rt->worker_stats.max_in_flight));
  lua_setfield(L, 1, "threads_at_once");
  lua_pop(L, 1);
  lua_pushboolean(L, over);
  lua_setfield(L, 1, "timed_out");
  lua_pushboolean(L, deadlock);
  lua_setfield(L, 1, "deadlock");
  Future* f = main;
  if (!done) {
    if (!deadlock) {
      lua_pop(L, 1);
      lua_pushfstring(L, "still running after %I virtual seconds", static_cast<lua_Integer>(vlimit));
    }
    lua_pushvalue(L, 9);  // the message
    lua_setfield(L, 1, "error");
    if (raise) return lua_error(L);
    return 0;
  }
  lua_settop(L, 8);
  if (f->state == Future::Cancelled || f->has_exception) {
    // 9: the main task's recorded frames (a string, or nil)
    if (lua_getiuservalue(L, 8, UV_EXTRA) == LUA_TTABLE) {
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
    lua_getiuservalue(L, 8, UV_RESULT);  // 10: the error
    lua_pushvalue(L, 10);
    lua_setfield(L, 1, "error");
    {
      std::string frames = lua_isstring(L, 9) ? lua_tostring(L, 9) : "";
      std::string tb = format_traceback(L, 10, frames);
      lua_pushlstring(L, tb.data(), tb.size());
    }
    lua_setfield(L, 1, "traceback");
    if (raise) {
      if (lua_isstring(L, 9)) {
        std::string frames = lua_tostring(L, 9);
        note_rethrow(L, 10, frames, "the main task");
      }
      lua_settop(L, 10);
      return lua_error(L);
    }
    return 0;
  }
  int n = future_push_result(L, 8);
  if (raise) return n;
  lua_createtable(L, n, 1);
  lua_insert(L, -n - 1);
  for (int i = n; i >= 1; i--) lua_rawseti(L, -i - 1, i);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  lua_setfield(L, 1, "values");
  return 0;
}

}  // namespace

std::string encode_field(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

std::string decode_field(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

lua_State* sandbox_new_state() {
  lua_State* L = lua_newstate(budget_alloc, nullptr);
  if (L) install_panic_handler(L);  // trampoline.h
  // The hook is set before anything else exists, so that every thread of
  // the state, whenever it was created, inherits it (in the parent the
  // limits are infinite; a child sets them per check).
  if (L) lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookEvery);
  // Generational: after one full collection in the parent (Runner::run),
  // everything the engine loaded is old, and a child's minor collections
  // leave it alone. (An incremental cycle marks every object, so a child
  // copied every page of the parent's heap on write.)
  if (L) lua_gc(L, LUA_GCGEN, 0, 0);
  return L;
}

void sandbox_push_natives(lua_State* L) {
  static const Reg fns[] = {
      {"emit", fn<l_emit>},
      {"write", fn<l_write>},
      {"stream", fn<l_stream>},
      {"begin_check", fn<l_begin_check>},
      {"restore", fn<l_restore>},
      {"end_check", fn<l_end_check>},
      {"limit", fn<l_limit>},
      {"charge", fn<l_charge>},
      {"set_sink", fn<l_set_sink>},
      {"set_learner", fn<l_set_learner>},
      {"reset_tasks", fn<l_reset_tasks>},
      {"block", fn<l_block>},
      {"traceback", fn<l_traceback>},
      {"path_inside", fn<l_path_inside>},
      {"run", fn<l_run>},
      {"track_future", fn<l_track_future>},
      {nullptr, nullptr},
  };
  new_lib(L, fns);
  push_traceback_handler(L);  // the runtime's message handler, for xpcall
  lua_setfield(L, -2, "msgh");
}

// Limits the address space to what the process has now plus the Lua budget
// and a generous margin: a backstop for memory that is not Lua's.
static void limit_address_space(const Limits& limits) {
#ifndef LEARN_SANITIZED
  // The first field of /proc/self/statm is the address space in pages
  // (/proc/self/status says the same as VmSize, but costs the kernel a walk
  // over the whole process: a twentieth of a short check's time).
  size_t vm_pages = 0;
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[128];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      buf[n] = '\0';
      vm_pages = std::strtoull(buf, nullptr, 10);
    }
  }
  if (vm_pages == 0) return;
  rlim_t lim = static_cast<rlim_t>(vm_pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + limits.memory + kMemoryMargin;
  // The hard limit stays where it was, so that the next job of the same
  // child can set its own (learner code cannot call setrlimit).
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0) return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? lim : std::min<rlim_t>(lim, rl.rlim_max);
  setrlimit(RLIMIT_AS, &rl);
#else
  (void)limits;  // AddressSanitizer reserves terabytes of address space
#endif
}

// Runs one job's checks (or its run) in this child, writing its records;
// false if the checks could not run at all (the E record is written).
static bool run_job(Engine& engine, const SandboxJob& job, int first, const Limits& limits, int home) {
  // Each job's limit from what the process holds now: a child that ran
  // other jobs before may have grown a little.
  limit_address_space(limits);
  if (job.ex->grants.fs && !job.workdir.empty()) {
    if (chdir(job.workdir.c_str()) != 0) _exit(kExitInternal);
    size_t used = disk_usage(job.workdir);
    g_fs_left = used < kFsQuota ? kFsQuota - used : 0;
  } else if (home >= 0 && fchdir(home) != 0) {  // not the directory of an fs job before it
    _exit(kExitInternal);
  }

  lua_State* L = engine.state();
  int top = lua_gettop(L);
  reset_budgets();
  runtime(L)->report_hook = report_to_sink;
  g.timeline = job.mode == Mode::Run && job.timeline;

  engine.push_checker();
  lua_getfield(L, -1, job.mode == Mode::Check ? "run_checks" : "run_main");
  lua_createtable(L, 0, 8);  // the context
  lua_pushlstring(L, job.source.data(), job.source.size());
  lua_setfield(L, -2, "source");
  lua_pushstring(L, job.chunkname.c_str());
  lua_setfield(L, -2, "chunkname");
  lua_pushstring(L, job.ex->name.c_str());
  lua_setfield(L, -2, "exercise");
  lua_createtable(L, 0, 3);
  lua_pushboolean(L, job.ex->grants.http);
  lua_setfield(L, -2, "http");
  lua_pushboolean(L, job.ex->grants.fs);
  lua_setfield(L, -2, "fs");
  lua_pushboolean(L, job.ex->grants.subprocess);
  lua_setfield(L, -2, "subprocess");
  lua_setfield(L, -2, "grants");
  if (!job.workdir.empty()) {
    lua_pushstring(L, job.workdir.c_str());
    lua_setfield(L, -2, "workdir");
  }
  lua_pushstring(L, self_exe_path().c_str());
  lua_setfield(L, -2, "exe");
  lua_createtable(L, 0, 2 * static_cast<int>(job.ex->grants.programs.size()));
  for (const auto& [name, path] : job.ex->grants.programs) {
    lua_pushstring(L, path.c_str());
    lua_setfield(L, -2, name.c_str());
    lua_pushstring(L, path.c_str());
    lua_setfield(L, -2, path.c_str());
  }
  lua_setfield(L, -2, "programs");
  push_spawn_env(L, job.ex->grants.fs ? job.workdir : std::string());
  lua_setfield(L, -2, "env");
  set_number(L, lua_gettop(L), "max_output", static_cast<double>(limits.output));
  set_number(L, lua_gettop(L), "max_time", limits.virtual_seconds);
  if (job.mode == Mode::Run && job.stream) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "stream");
  }
  set_number(L, lua_gettop(L), "time_limit", limits.cpu_seconds);
  if (job.mode == Mode::Run && job.width > 0) {
    lua_createtable(L, 0, 2);
    set_number(L, lua_gettop(L), "width", job.width);
    lua_pushboolean(L, job.color);
    lua_setfield(L, -2, "color");
    lua_setfield(L, -2, "timeline");
  }
  engine.push_checks(*job.ex);
  lua_pushinteger(L, first + 1);
  bool ok = lua_pcall(L, 3, 0, 0) == LUA_OK;
  if (!ok) write_all("E\t" + encode_field(safe_tostring(L, -1)) + "\n");
  lua_settop(L, top);
  return ok;
}

Confinement sandbox_confinement(const std::vector<SandboxJob>& jobs, int first, const Limits& limits) {
  Confinement c;
  const Grants& gr = jobs[0].ex->grants;
  c.network = gr.http;
  c.processes = gr.subprocess;
  for (const auto& p : gr.programs) c.programs.push_back(p.second);
  if (gr.fs) {
    c.workdir = jobs[0].workdir;
    c.file_size = kFsQuota;
  }
  // CPU: a backstop for C loops (the parent's real-time watchdog comes
  // first), for every check the child may run.
  size_t checks = 0;
  for (const auto& j : jobs) checks += j.ex->checks.size();
  checks -= std::min<size_t>(checks, static_cast<size_t>(first));
  if (checks == 0) checks = 1;
  c.cpu_seconds = static_cast<double>(checks) * (limits.cpu_seconds + 1) + 1;
  return c;
}

[[noreturn]] void sandbox_child(Engine& engine, const std::vector<SandboxJob>& jobs, int first, const Limits& limits,
                                int fd, int parent) {
  g.fd = fd;
  g.limits = limits;
#ifndef LEARN_SANITIZED
  g_arena.start();  // (AddressSanitizer checks glibc's blocks, not the arena's)
  prefault_heap();
#endif
  restrict_runtime(engine.state());
  // Default dispositions: watch mode's libuv handlers would write into the
  // parent's signal pipe.
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (!std::getenv("LUASYNC_LEARN_DEBUG")) dup2(devnull, 2);
    if (devnull > 2) close(devnull);
  }
  {
    // The OS layers (confine.h), before any learner code. A layer that
    // should work here and does not stops the checks (fail closed).
    Confinement c = sandbox_confinement(jobs, first, limits);
    c.parent = parent;
    std::string err;
    if (!confine(c, &err)) {
      write_all("E\t" + encode_field("the sandbox could not be set up: " + err) + "\n");
      _exit(kExitInternal);
    }
    set_policies(c.network);
    runtime(engine.state())->trusted_function = trusted_function;
  }
  int home = jobs.size() > 1 ? ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  for (size_t i = 0; i < jobs.size(); i++) {
    if (i > 0) write_all("J\t" + std::to_string(jobs[i].index) + "\n");
    if (!run_job(engine, jobs[i], i == 0 ? first : 0, limits, home)) _exit(kExitInternal);
    write_all("D\n");
  }
  _exit(kExitDone);
}

namespace {
// `learn exec`'s real-time backstop (a parent stands in for it in a check),
// moved later by the time it waited for a CPU (as a check's: wall_over), at
// most kMaxStarvedBackstops times its length.
struct ExecAlarm {
  uint64_t wait_seen = 0;  // cpu_wait_ns(0) when last armed
  uint64_t credit = 0, max_credit = 0;
};
ExecAlarm g_alarm;

void exec_alarm(int) {
  uint64_t wait = cpu_wait_ns(0);
  uint64_t more = wait > g_alarm.wait_seen ? wait - g_alarm.wait_seen : 0;
  if (more >= 10'000'000 && g_alarm.credit < g_alarm.max_credit) {
    more = std::min(more, g_alarm.max_credit - g_alarm.credit);
    g_alarm.credit += more;
    g_alarm.wait_seen = wait;
    arm_timer(ITIMER_REAL, static_cast<double>(more) / 1e9);
    return;
  }
  static const char msg[] = "luasync: stopped: this program took more than its limit of real time\n";
  if (::write(2, msg, sizeof msg - 1) < 0) _exit(kExitRealTime);
  _exit(kExitRealTime);
}
}  // namespace

int sandbox_exec(Engine& engine, const std::string& code, const std::vector<std::string>& args, const Limits& limits) {
  g.fd = 1;
  g.exec = true;
  g.limits = limits;
  restrict_runtime(engine.state());
  {
    // The same OS layers as a sandbox child without grants (inside a
    // sandbox they stack on the child's), in its process group.
    Confinement c;
    c.new_group = false;
    c.cpu_seconds = limits.cpu_seconds + 1;
    c.file_size = RLIM_INFINITY;  // its stdout may be a file; it opens none (Lua sandbox, Landlock)
    std::string err;
    if (!confine(c, &err)) {
      std::fprintf(stderr, "luasync: the sandbox could not be set up: %s\n", err.c_str());
      return 1;
    }
    set_policies(false);
    runtime(engine.state())->trusted_function = trusted_function;
  }
  // Its real-time backstop comes well before its check's (3 S + 5 s), so
  // that a check waiting for it goes on and ends on its own limit.
  double alarm = 2 * limits.cpu_seconds + 2;
  g_alarm.wait_seen = cpu_wait_ns(0);
  g_alarm.max_credit = static_cast<uint64_t>(kMaxStarvedBackstops * alarm * 1e9);
  std::signal(SIGALRM, exec_alarm);
  arm_timer(ITIMER_REAL, alarm);
  limit_address_space(limits);
  lua_State* L = engine.state();
  reset_budgets();
  engine.push_checker();
  lua_getfield(L, -1, "run_exec");
  lua_createtable(L, 0, 6);
  lua_pushlstring(L, code.data(), code.size());
  lua_setfield(L, -2, "source");
  lua_pushliteral(L, "=(command line)");
  lua_setfield(L, -2, "chunkname");
  lua_newtable(L);
  lua_setfield(L, -2, "grants");
  set_number(L, lua_gettop(L), "max_output", static_cast<double>(limits.output));
  set_number(L, lua_gettop(L), "max_time", limits.virtual_seconds);
  for (const auto& a : args) lua_pushstring(L, a.c_str());
  if (lua_pcall(L, 1 + static_cast<int>(args.size()), 1, 0) != LUA_OK) {
    std::fprintf(stderr, "luasync: %s\n", safe_tostring(L, -1).c_str());
    return 1;
  }
  return static_cast<int>(lua_tointeger(L, -1));
}

}  // namespace luasync::learn
