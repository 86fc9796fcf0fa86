// executor.cpp: see executor.h.
//
// Threads and ownership:
//   - A ThreadPool (the userdata of an asyncio.ThreadPoolExecutor, or the
//     state's default executor in the registry) owns its threads. Its
//     destructor interrupts the calls still running (their states' count
//     hook yields them away), drops the queued ones and joins.
//   - A Job (one call) belongs to the loop's thread until it is submitted,
//     then to the pool until a worker posts it to its Mailbox, then to the
//     loop's thread again, which delivers and deletes it. A worker whose
//     mailbox is closed (the loop closed meanwhile) deletes it itself.
//   - A Port (an IoObject, one per loop) owns the loop's side: the uv_async
//     handle the mailbox wakes, the futures of the calls in flight (a Lua
//     table {[id] = future, [future] = id}) and the loop's default
//     executor.
// The Lua work of a worker runs inside lua_pcall on its own state; on the
// loop's thread, delivering a result runs inside lua_pcall too. No C++
// object with a destructor is alive in a frame while a Lua call may raise.
#include "executor.h"

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <unordered_map>
#include <vector>

#include "future.h"
#include "io.h"
#include "loop.h"
#include "loop_lib.h"
#include "marshal.h"
#include "runtime.h"
#include "trampoline.h"

namespace luasync {

namespace {

constexpr const char* kExecutorMT = "asyncio.ThreadPoolExecutor";
constexpr const char* kPortMT = "asyncio.ExecutorPort";
char kPortsKey;    // registry: {[loop userdata] = port box} (weak keys)
char kDefaultKey;  // registry: the state's default executor

// Raises a message without a position: these errors come from to_thread's
// body (Lua layer) as often as from the caller's line, so the position would
// mislead; the traceback shows where.
[[noreturn]] void raise(lua_State* L, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_error(L);
  __builtin_unreachable();
}

struct Job;

struct Mailbox {
  std::mutex m;
  bool closed = false;
  std::vector<Job*> done;
  uv_async_t* async = nullptr;
};

struct Job {
  Blob code, args, result;
  bool ok = false;
  int env_upvalue = 0;  // the _ENV upvalue's index, 0: none
  int nself = 0;        // upvalues that are the function itself
  uint8_t self_upvalues[256] = {};
  char lib_name[64] = "";  // a C function of a library, by name ("string.rep")
  uint64_t id = 0;
  std::shared_ptr<Mailbox> mailbox;
  std::atomic<bool> cancelled{false};

  ~Job() {
    blob_free(&code);
    blob_free(&args);
    blob_free(&result);
  }

  // Hands the finished job to its loop (or deletes it if the loop is gone).
  static void post(Job* j) {
    std::shared_ptr<Mailbox> mb = j->mailbox;
    std::lock_guard<std::mutex> lock(mb->m);
    if (mb->closed) {
      delete j;
      return;
    }
    mb->done.push_back(j);
    uv_async_send(mb->async);
  }
};

// ---------------------------------------------------------------- worker states

// The extra space of a worker state points at its pool's interrupt flag.
// A running call has no hook (a count hook makes Lua 5.4 trace every
// instruction: about 3x slower); the pool's destructor sets this one on the
// coroutine a call runs in, from its own thread, as lua.c does from its
// SIGINT handler, and the call yields away at its next instruction.
std::atomic<bool>** interrupt_slot(lua_State* W) { return static_cast<std::atomic<bool>**>(lua_getextraspace(W)); }

void interrupt_hook(lua_State* W, lua_Debug*) {
  std::atomic<bool>* flag = *interrupt_slot(W);
  if (flag && flag->load()) lua_yield(W, 0);
}

// Where a worker publishes the coroutine its call runs in (for the pool's
// destructor); set and cleared by the worker, under the pool's lock.
struct RunningSlot {
  std::mutex* m;
  lua_State** co;
  const std::atomic<bool>* interrupt;
};

void publish_running(const RunningSlot* slot, lua_State* co) {
  std::lock_guard<std::mutex> lock(*slot->m);
  *slot->co = co;
  // Interrupted before it started: stop at once.
  if (co && slot->interrupt->load()) lua_sethook(co, interrupt_hook, LUA_MASKCOUNT, 1);
}

// time.sleep/time.time/time.monotonic of a worker: real time, blocking.
int w_sleep(lua_State* W) {
  double s = luaL_checknumber(W, 1);
  if (s > 0) {
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(s);
    ts.tv_nsec = static_cast<long>((s - static_cast<double>(ts.tv_sec)) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
  return 0;
}

int w_time(lua_State* W) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(W, static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9);
  return 1;
}

int w_monotonic(lua_State* W) {
  lua_pushnumber(W, static_cast<double>(uv_hrtime()) * 1e-9);
  return 1;
}

int open_worker_libs(lua_State* W) {
  luaL_openlibs(W);
  static const Reg time_fns[] = {
      {"sleep", fn<w_sleep>}, {"time", fn<w_time>}, {"monotonic", fn<w_monotonic>}, {nullptr, nullptr}};
  new_lib(W, time_fns);
  lua_pushvalue(W, -1);
  lua_setglobal(W, "time");
  luaL_getsubtable(W, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(W, -2);
  lua_setfield(W, -2, "time");
  return 0;
}

lua_State* default_new_state() {
  lua_State* W = luaL_newstate();
  if (W) install_panic_handler(W);  // trampoline.h
  if (!W) return nullptr;
  push_fn<open_worker_libs>(W);
  if (lua_pcall(W, 0, 0, 0) != LUA_OK) {
    lua_close(W);
    return nullptr;
  }
  return W;
}

// ---------------------------------------------------------------- running a job

// job_main(job, fresh_globals, running slot): loads the function, decodes the arguments,
// runs it in a coroutine (so an interrupt can take it away even from inside
// a pcall), and encodes its results into job->result. Raises the function's
// error (or any other) as is.
int job_main(lua_State* W) {
  auto* j = static_cast<Job*>(lua_touserdata(W, 1));
  bool fresh_globals = lua_toboolean(W, 2);
  auto* slot = static_cast<const RunningSlot*>(lua_touserdata(W, 3));
  lua_settop(W, 0);
  if (j->lib_name[0]) {
    // A library's C function, by its name.
    lua_pushglobaltable(W);
    const char* name = j->lib_name;
    const char* dot = std::strchr(name, '.');
    if (dot) {
      lua_pushlstring(W, name, static_cast<size_t>(dot - name));
      lua_rawget(W, -2);
      lua_remove(W, -2);
      name = dot + 1;
    }
    if (lua_type(W, -1) == LUA_TTABLE) lua_getfield(W, -1, name);
    if (lua_type(W, -1) != LUA_TFUNCTION) luaL_error(W, "%s is not available in a worker thread", j->lib_name);
    lua_replace(W, 1);
    lua_settop(W, 1);
  } else {
    if (luaL_loadbufferx(W, j->code.data, j->code.size, "=to_thread", "b") != LUA_OK) lua_error(W);
    if (j->env_upvalue) {
      if (fresh_globals) {
        // Each call its own globals, falling back to the libraries.
        lua_createtable(W, 0, 1);
        lua_createtable(W, 0, 1);
        lua_pushglobaltable(W);
        lua_setfield(W, -2, "__index");
        lua_setmetatable(W, -2);
        lua_pushvalue(W, -1);
        lua_setfield(W, -2, "_G");
      } else {
        lua_pushglobaltable(W);
      }
      lua_setupvalue(W, 1, j->env_upvalue);
    }
    for (int i = 0; i < j->nself; i++) {
      lua_pushvalue(W, 1);
      lua_setupvalue(W, 1, j->self_upvalues[i]);
    }
  }
  int nargs = marshal_decode(W, j->args.data, j->args.size);
  lua_State* co = lua_newthread(W);
  lua_insert(W, 1);  // [co fn args...]
  lua_xmove(W, co, nargs + 1);
  int nres = 0;
  publish_running(slot, co);
  int status = lua_resume(co, W, nargs, &nres);
  publish_running(slot, nullptr);
  if (status == LUA_YIELD) {
    std::atomic<bool>* flag = *interrupt_slot(W);
    if (flag && flag->load()) luaL_error(W, "interrupted: the executor was shut down while the call ran");
    luaL_error(W, "coroutine.yield() outside a coroutine, in a function run by to_thread");
  }
  if (status != LUA_OK) {
    lua_xmove(co, W, 1);
    return lua_error(W);
  }
  luaL_checkstack(W, nres + 8, "too many results");
  lua_xmove(co, W, nres);
  int first = lua_gettop(W) - nres + 1;
  Blob* out = push_blob(W);
  marshal_encode(W, out, first, nres, "to_thread: result", 1, nullptr);
  blob_free(&j->result);
  j->result = *out;
  *out = Blob{};
  j->ok = true;
  return 0;
}

// encode_error(job, err): the error value, copied if it can be, else its
// tostring.
int encode_error(lua_State* W) {
  auto* j = static_cast<Job*>(lua_touserdata(W, 1));
  Blob* out = push_blob(W);
  int t = lua_type(W, 2);
  bool plain = t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN || t == LUA_TNIL;
  if (t == LUA_TTABLE && !lua_getmetatable(W, 2)) plain = true;
  if (!plain) {
    luaL_tolstring(W, 2, nullptr);
    lua_replace(W, 2);
  }
  marshal_encode(W, out, 2, 1, "to_thread: error", 1, nullptr);
  blob_free(&j->result);
  j->result = *out;
  *out = Blob{};
  return 0;
}

void run_job(lua_State* W, Job* j, bool fresh_globals, const RunningSlot* slot) {
  lua_settop(W, 0);
  push_fn<job_main>(W);
  lua_pushlightuserdata(W, j);
  lua_pushboolean(W, fresh_globals);
  lua_pushlightuserdata(W, const_cast<RunningSlot*>(slot));
  j->ok = false;
  if (lua_pcall(W, 3, 0, 0) != LUA_OK) {
    j->ok = false;
    push_fn<encode_error>(W);
    lua_pushlightuserdata(W, j);
    lua_rotate(W, -3, -1);  // [encode_error job err]
    if (lua_pcall(W, 2, 0, 0) != LUA_OK)
      marshal_message(&j->result, "to_thread: the function failed, and its error could not be copied");
  }
  lua_settop(W, 0);
}

// ---------------------------------------------------------------- ThreadPool

class ThreadPool;
// Every pool of the process with the runtime it belongs to (made and
// destroyed on loop threads; stop_worker_calls walks them).
std::mutex g_pools_m;
std::vector<std::pair<ThreadPool*, Runtime*>> g_pools;

class ThreadPool {
 public:
  ThreadPool(unsigned max_workers, const WorkerPolicy& policy, Runtime* owner) : max_(max_workers), policy_(policy) {
    std::lock_guard<std::mutex> lock(g_pools_m);
    g_pools.emplace_back(this, owner);
  }
  ~ThreadPool() {
    stop_all(false);
    std::lock_guard<std::mutex> lock(g_pools_m);
    for (size_t i = 0; i < g_pools.size(); i++)
      if (g_pools[i].first == this) {
        g_pools.erase(g_pools.begin() + static_cast<long>(i));
        break;
      }
  }

  // Stops every call: the running ones are interrupted (they yield away at
  // their next instruction), the queued ones fail, the threads end. With
  // `reopen` the pool takes calls again afterwards (threads start on
  // demand).
  void stop_all(bool reopen) {
    bool was_shutdown;
    {
      std::lock_guard<std::mutex> lock(m_);
      was_shutdown = shutdown_;
      shutdown_ = true;
      interrupt_ = true;
      for (lua_State* co : running_)
        if (co) lua_sethook(co, interrupt_hook, LUA_MASKCOUNT, 1);
    }
    cv_.notify_all();
    join();
    std::deque<Job*> queued;
    {
      std::lock_guard<std::mutex> lock(m_);
      queued.swap(queue_);
    }
    for (Job* j : queued) fail(j, "to_thread: the executor was shut down before the call started");
    if (reopen) {
      std::lock_guard<std::mutex> lock(m_);
      interrupt_ = false;
      shutdown_ = was_shutdown;
    }
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned max_workers() const { return max_; }
  bool is_shutdown() {
    std::lock_guard<std::mutex> lock(m_);
    return shutdown_;
  }

  // Queues the job and returns nullptr, or returns why it cannot (the job
  // stays the caller's). Starts a thread if none is idle and there is room.
  const char* submit(Job* j) {
    std::lock_guard<std::mutex> lock(m_);
    if (shutdown_) return "to_thread: cannot schedule new calls after the executor's shutdown";
    if (idle_ < queue_.size() + 1 && threads_.size() < max_) {
      try {
        running_.resize(threads_.size() + 1, nullptr);  // (before the thread: it may read its slot)
        size_t index = threads_.size();
        threads_.emplace_back([this, index] { worker(index); });
      } catch (const std::exception&) {
        if (threads_.empty()) return "to_thread: cannot start a worker thread";
      }
    }
    queue_.push_back(j);
    cv_.notify_one();
    return nullptr;
  }

  // No new calls; the queued and running ones finish. With wait, returns
  // once they have (the threads are joined).
  void shutdown(bool wait) {
    {
      std::lock_guard<std::mutex> lock(m_);
      shutdown_ = true;
    }
    cv_.notify_all();
    if (wait) join();
  }

 private:
  static void fail(Job* j, const char* msg) {
    j->ok = false;
    marshal_message(&j->result, msg);
    Job::post(j);
  }

  void join() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(m_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads)
      if (t.joinable()) t.join();
  }

  // A worker's state; its extra space is the executor's (the interrupt flag).
  lua_State* new_state() {
    lua_State* W = policy_.new_state ? policy_.new_state() : default_new_state();
    if (!W) return nullptr;
    *interrupt_slot(W) = &interrupt_;
    return W;
  }

  void worker(size_t index) {
    lua_State* W = nullptr;
    lua_State** my_slot;
    {
      std::lock_guard<std::mutex> lock(m_);
      my_slot = &running_[index];  // a deque's elements stay where they are
    }
    for (;;) {
      Job* j;
      {
        std::unique_lock<std::mutex> lock(m_);
        idle_++;
        cv_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
        idle_--;
        if (queue_.empty() || interrupt_) break;
        j = queue_.front();
        queue_.pop_front();
      }
      if (j->cancelled.load()) {
        fail(j, "to_thread: cancelled before it started");
        continue;
      }
      if (!W) W = new_state();
      if (!W) {
        fail(j, "to_thread: not enough memory for a worker's Lua state");
        continue;
      }
      RunningSlot slot{&m_, my_slot, &interrupt_};
      run_job(W, j, !policy_.fresh_state_per_call, &slot);
      if (policy_.fresh_state_per_call) {
        lua_close(W);
        W = nullptr;
      }
      Job::post(j);
    }
    if (W) lua_close(W);
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  std::vector<std::thread> threads_;
  std::deque<lua_State*> running_;  // each thread's running coroutine (a deque: stable slots)
  unsigned max_;
  size_t idle_ = 0;
  bool shutdown_ = false;
  std::atomic<bool> interrupt_{false};
  WorkerPolicy policy_;
};

struct ExecutorBox {
  ThreadPool* pool;
};

int executor_gc(lua_State* L) {
  auto* box = static_cast<ExecutorBox*>(luaL_checkudata(L, 1, kExecutorMT));
  delete box->pool;
  box->pool = nullptr;
  return 0;
}

ThreadPool* check_executor(lua_State* L, int idx) {
  auto* box = static_cast<ExecutorBox*>(luaL_checkudata(L, idx, kExecutorMT));
  return box->pool;
}

unsigned default_workers(lua_State* L) {
  unsigned n = runtime(L)->workers.max_workers;
  if (n == 0) n = uv_available_parallelism();
  return n ? n : 1;
}

// Pushes a new executor userdata with n threads at most.
ThreadPool* push_executor(lua_State* L, unsigned n) {
  auto* box = static_cast<ExecutorBox*>(lua_newuserdatauv(L, sizeof(ExecutorBox), 0));
  box->pool = nullptr;
  luaL_setmetatable(L, kExecutorMT);
  box->pool = new ThreadPool(n, runtime(L)->workers, runtime(L));
  return box->pool;
}

// asyncio.ThreadPoolExecutor([max_workers]) -> executor
int l_executor_new(lua_State* L) {
  unsigned n;
  if (lua_isnoneornil(L, 1)) {
    n = default_workers(L);
  } else {
    lua_Integer v = luaL_checkinteger(L, 1);
    if (v < 1 || v > 1024) luaL_argerror(L, 1, "max_workers must be between 1 and 1024");
    n = static_cast<unsigned>(v);
  }
  push_executor(L, n);
  return 1;
}

// executor:shutdown([wait = true])
int l_executor_shutdown(lua_State* L) {
  ThreadPool* pool = check_executor(L, 1);
  bool wait = lua_isnoneornil(L, 2) || lua_toboolean(L, 2);
  if (pool) pool->shutdown(wait);
  return 0;
}

int l_executor_close(lua_State* L) {
  ThreadPool* pool = check_executor(L, 1);
  if (pool) pool->shutdown(true);
  return 0;
}

int l_executor_index(lua_State* L) {
  ThreadPool* pool = check_executor(L, 1);
  const char* k = lua_tostring(L, 2);
  if (k && std::strcmp(k, "max_workers") == 0) {
    lua_pushinteger(L, pool ? pool->max_workers() : 0);
    return 1;
  }
  luaL_getmetatable(L, kExecutorMT);
  lua_getfield(L, -1, "methods");
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

int l_executor_tostring(lua_State* L) {
  ThreadPool* pool = check_executor(L, 1);
  lua_pushfstring(L, "<ThreadPoolExecutor max_workers=%d%s>", pool ? static_cast<int>(pool->max_workers()) : 0,
                  pool && pool->is_shutdown() ? " shutdown" : "");
  return 1;
}

// Pushes the state's default executor (made on first use).
void push_default_executor(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kDefaultKey) == LUA_TUSERDATA) return;
  lua_pop(L, 1);
  push_executor(L, default_workers(L));
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kDefaultKey);
}

// ---------------------------------------------------------------- the loop's side

enum : uint32_t { EV_DONE = 1 };

class Port final : public IoObject {
 public:
  explicit Port(Loop* loop) : IoObject(loop), mailbox(std::make_shared<Mailbox>()) { async_.data = this; }

  // Opens the async handle (unreferenced while nothing is in flight).
  int start() {
    int r = uv_async_init(loop()->uv(), &async_, async_cb);
    if (r < 0) return r;
    hold_uv();
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
    mailbox->async = &async_;
    open_ = true;
    return 0;
  }

  bool live() const { return open_ && loop(); }

  // A call's future was created and registered: the loop now waits for it.
  void add_pending(Runtime* rt) {
    rt->worker_stats.calls++;
    if (++rt->worker_stats.in_flight > rt->worker_stats.max_in_flight)
      rt->worker_stats.max_in_flight = rt->worker_stats.in_flight;
    if (pending_++ == 0) {
      uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
      loop()->hold_clock();
    }
  }

  std::shared_ptr<Mailbox> mailbox;
  LuaRef futures;           // {[id] = future, [future] = id}
  LuaRef default_executor;  // loop:set_default_executor's, or none
  std::unordered_map<uint64_t, Job*> running;  // submitted, not delivered
  uint64_t next_id = 1;

  // The done callback of each call's future: the loop stops waiting for
  // it; a call cancelled before it started will not start.
  static void future_done(lua_State* L, IoObject* obj) {
    auto* self = static_cast<Port*>(obj);
    if (runtime(L)->worker_stats.in_flight > 0) runtime(L)->worker_stats.in_flight--;
    if (self->pending_ > 0 && --self->pending_ == 0 && self->open_) {
      uv_unref(reinterpret_cast<uv_handle_t*>(&self->async_));
      self->loop()->release_clock();
    }
    Future* f = to_future(L, -1);
    if (!f || f->state != Future::Cancelled || !self->futures) return;
    self->futures.push(L);
    lua_pushvalue(L, -2);
    lua_rawget(L, -2);
    if (lua_isinteger(L, -1)) {
      auto it = self->running.find(static_cast<uint64_t>(lua_tointeger(L, -1)));
      if (it != self->running.end()) it->second->cancelled = true;
    }
    lua_pop(L, 2);
  }

 protected:
  void on_events(lua_State* L, uint32_t events) override {
    if (!(events & EV_DONE)) return;
    for (;;) {
      std::vector<Job*> jobs;
      {
        std::lock_guard<std::mutex> lock(mailbox->m);
        jobs.swap(mailbox->done);
      }
      if (jobs.empty()) return;
      for (Job* j : jobs) deliver(L, j);
    }
  }

  void loop_closing(lua_State*) override {
    std::vector<Job*> jobs;
    {
      std::lock_guard<std::mutex> lock(mailbox->m);
      mailbox->closed = true;
      mailbox->async = nullptr;
      jobs.swap(mailbox->done);
    }
    for (Job* j : jobs) delete j;
    running.clear();  // the workers delete them now
    futures.reset();
    default_executor.reset();
    if (pending_ > 0) {
      Runtime* rt = runtime(loop()->thread());
      rt->worker_stats.in_flight -= std::min(pending_, rt->worker_stats.in_flight);
      pending_ = 0;
      loop()->release_clock();
    }
    if (open_) {
      open_ = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), close_cb);
    }
  }

 private:
  static void async_cb(uv_async_t* h) { static_cast<Port*>(h->data)->post(EV_DONE); }
  static void close_cb(uv_handle_t* h) { static_cast<Port*>(h->data)->release_uv(); }

  // Resolves the job's future (if anyone still waits) and deletes the job.
  void deliver(lua_State* L, Job* j);

 public:
  // A job that never reached a worker: delivered on the next iteration.
  void deliver_now(lua_State*, Job* j) {
    std::lock_guard<std::mutex> lock(mailbox->m);
    mailbox->done.push_back(j);
    uv_async_send(&async_);
  }

 private:

  uv_async_t async_{};
  bool open_ = false;
  int pending_ = 0;
};

// deliver_main(job, futures): on the loop's thread, in a protected call.
int deliver_main(lua_State* L) {
  auto* j = static_cast<Job*>(lua_touserdata(L, 1));
  if (void (*after)(lua_State*) = runtime(L)->workers.after_call) after(L);
  lua_rawgeti(L, 2, static_cast<lua_Integer>(j->id));  // 3: the future
  lua_pushnil(L);
  lua_rawseti(L, 2, static_cast<lua_Integer>(j->id));
  if (lua_isnil(L, 3)) return 0;
  lua_pushvalue(L, 3);
  lua_pushnil(L);
  lua_rawset(L, 2);
  Future* f = to_future(L, 3);
  if (!f || f->done()) return 0;  // cancelled: the result is dropped
  int top = lua_gettop(L);
  int n = marshal_decode(L, j->result.data, j->result.size);
  if (j->ok)
    future_set_result(L, 3, top + 1, n);
  else
    future_set_exception(L, 3, top + 1);
  return 0;
}

void Port::deliver(lua_State* L, Job* j) {
  running.erase(j->id);
  if (futures) {
    push_fn<deliver_main>(L);
    lua_pushlightuserdata(L, j);
    futures.push(L);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
      report(L, "callback_error", "to_thread: the result could not be delivered: " + safe_tostring(L, -1), -1);
      lua_pop(L, 1);
    }
  }
  delete j;
}

struct PortBox {
  Port* port;
};

int port_gc(lua_State* L) {
  auto* box = static_cast<PortBox*>(luaL_checkudata(L, 1, kPortMT));
  if (box->port) box->port->release();
  box->port = nullptr;
  return 0;
}

// The port of the loop at loop_idx (made on first use); pushes nothing.
Port* loop_port(lua_State* L, int loop_idx, Loop* loop) {
  loop_idx = lua_absindex(L, loop_idx);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kPortsKey) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kPortsKey);
  }
  lua_pushvalue(L, loop_idx);
  if (lua_rawget(L, -2) == LUA_TUSERDATA) {
    auto* box = static_cast<PortBox*>(lua_touserdata(L, -1));
    lua_pop(L, 2);
    if (box->port && box->port->live()) return box->port;
    luaL_error(L, "the event loop is closed");
  }
  lua_pop(L, 1);
  auto* box = static_cast<PortBox*>(lua_newuserdatauv(L, sizeof(PortBox), 0));
  box->port = nullptr;
  luaL_setmetatable(L, kPortMT);
  lua_pushvalue(L, loop_idx);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4);  // ports[loop] = box
  lua_newtable(L);    // the futures table (made before the port: it may raise)
  auto* port = new Port(loop);
  port->hold();
  box->port = port;
  port->futures = io_ref(L, -1);  // from the main thread: L may be a task's, collected first
  lua_pop(L, 1);
  lua_pop(L, 2);
  int r = port->start();
  if (r < 0) {
    push_os_error(L, r);
    lua_error(L);
  }
  return port;
}

// ---------------------------------------------------------------- submitting

// What a function to send is: a Lua function's upvalues (only _ENV and the
// function itself are allowed), or a library C function's name.
struct FnInfo {
  int env_upvalue = 0;
  int nself = 0;
  uint8_t self_upvalues[256] = {};
  char lib_name[64] = "";
};

// Finds the name of a standard library C function ("print", "string.rep").
bool library_name(lua_State* L, int fn, char* out, size_t size) {
  static const char* const libs[] = {"_G",  "string", "table", "math",      "utf8",
                                     "os",  "io",     "time",  "coroutine", nullptr};
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  bool found = false;
  for (const char* const* lib = libs; *lib && !found; lib++) {
    if (lua_getfield(L, -1, *lib) != LUA_TTABLE) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_rawequal(L, -1, fn) && lua_type(L, -2) == LUA_TSTRING) {
        const char* k = lua_tostring(L, -2);
        if (std::strcmp(*lib, "_G") == 0)
          std::snprintf(out, size, "%s", k);
        else
          std::snprintf(out, size, "%s.%s", *lib, k);
        found = true;
        lua_pop(L, 2);
        break;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return found;
}

// Checks the function at fn (argument #arg of fname) can run in a worker.
void check_function(lua_State* L, int fn, int arg, const char* fname, FnInfo* info) {
  if (lua_type(L, fn) != LUA_TFUNCTION)
    raise(L, "bad argument #%d to '%s' (function expected, got %s)", arg, fname, luaL_typename(L, fn));
  if (lua_iscfunction(L, fn)) {
    if (lua_getupvalue(L, fn, 1) == nullptr && library_name(L, fn, info->lib_name, sizeof info->lib_name)) return;
    raise(L,
               "bad argument #%d to '%s' (a C function cannot be sent to a thread, except one of the standard "
               "libraries such as print or string.rep: wrap the call in a Lua function)",
               arg, fname);
  }
  // Upvalues: _ENV is the worker's globals, the function itself is itself;
  // anything else would have to be shared between threads.
  int bad = 0;
  for (int i = 1;; i++) {
    const char* name = lua_getupvalue(L, fn, i);
    if (!name) break;
    bool is_env = std::strcmp(name, "_ENV") == 0;
    bool is_self = lua_rawequal(L, -1, fn);
    lua_pop(L, 1);
    if (is_env && !info->env_upvalue) {
      info->env_upvalue = i;
    } else if (is_self && i < 256) {
      info->self_upvalues[info->nself++] = static_cast<uint8_t>(i);
    } else {
      if (bad == 0) lua_pushliteral(L, "");
      lua_pushfstring(L, "%s'%s'", bad ? ", " : "", *name ? name : "?");
      lua_concat(L, 2);
      bad++;
    }
  }
  if (bad)
    raise(L,
               "bad argument #%d to '%s' (the function uses %s %s from outside it; a function run in a thread "
               "must be self-contained: pass %s as %s)",
               arg, fname, bad == 1 ? "the local variable" : "the local variables", lua_tostring(L, -1),
               bad == 1 ? "it" : "them", bad == 1 ? "an argument" : "arguments");
}

int dump_writer(lua_State* L, const void* p, size_t n, void* ud) {
  auto* b = static_cast<Blob*>(ud);
  if (b->cap - b->size < n) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->size < n) cap *= 2;
    auto* q = static_cast<char*>(std::realloc(b->data, cap));
    if (!q) return 1;
    b->data = q;
    b->cap = cap;
  }
  std::memcpy(b->data + b->size, p, n);
  b->size += n;
  (void)L;
  return 0;
}

// Submits fn (at fn_idx) with the arguments after it to the executor at
// exec_idx (nil: the loop's default); pushes the future. Arguments are
// numbered from arg0 in messages of fname.
int submit(lua_State* L, int exec_idx, int fn_idx, const char* fname, int arg0) {
  Loop* loop = runtime(L)->loop;
  if (!loop || loop->closed()) raise(L, "%s: no running event loop (call it inside asyncio.run)", fname);
  int nargs = lua_gettop(L) - fn_idx;
  if (runtime(L)->restricted && !runtime(L)->workers.new_state)
    raise(L, "%s is not available here (no worker policy for this restricted runtime)", fname);
  FnInfo info;
  check_function(L, fn_idx, arg0 - 1, fname, &info);
  // The executor.
  lua_rawgetp(L, LUA_REGISTRYINDEX, loop);  // the loop userdata
  Port* port = loop_port(L, -1, loop);
  lua_pop(L, 1);
  if (lua_isnoneornil(L, exec_idx)) {
    if (port->default_executor)
      port->default_executor.push(L);
    else
      push_default_executor(L);
  } else {
    lua_pushvalue(L, exec_idx);
  }
  int ex = lua_gettop(L);
  auto* box = static_cast<ExecutorBox*>(luaL_testudata(L, ex, kExecutorMT));
  if (!box) raise(L, "bad argument #1 to '%s' (ThreadPoolExecutor or nil expected, got %s)", fname, luaL_typename(L, ex));
  if (!box->pool || box->pool->is_shutdown()) raise(L, "%s: cannot schedule new calls after the executor's shutdown", fname);
  // The function's code and the arguments.
  Blob* code = push_blob(L);
  if (!info.lib_name[0]) {
    lua_pushvalue(L, fn_idx);
    if (lua_dump(L, dump_writer, code, 0) != 0) raise(L, "not enough memory");
    lua_pop(L, 1);
  }
  Blob* args = push_blob(L);
  marshal_encode(L, args, fn_idx + 1, nargs, "argument", arg0, fname);
  // The future, registered with the port (id -> future, future -> id); the
  // executor stays referenced by the future's entry until it is delivered.
  push_new_future(L);
  future_set_label(L, -1, "to_thread");
  int fut = lua_gettop(L);
  uint64_t id = port->next_id++;
  port->futures.push(L);
  lua_pushvalue(L, fut);
  lua_rawseti(L, -2, static_cast<lua_Integer>(id));
  lua_pushvalue(L, fut);
  lua_pushinteger(L, static_cast<lua_Integer>(id));
  lua_rawset(L, -3);
  lua_pop(L, 1);
  port->on_done(L, fut, Port::future_done);
  port->add_pending(runtime(L));
  // From here on nothing raises: the job is made and handed over.
  auto* j = new Job();
  j->id = id;
  j->code = *code;
  *code = Blob{};
  j->args = *args;
  *args = Blob{};
  j->env_upvalue = info.env_upvalue;
  j->nself = info.nself;
  std::memcpy(j->self_upvalues, info.self_upvalues, sizeof info.self_upvalues);
  std::memcpy(j->lib_name, info.lib_name, sizeof info.lib_name);
  j->mailbox = port->mailbox;
  port->running[id] = j;
  const char* refused = box->pool->submit(j);
  if (refused) {
    // The job never ran: its future fails (it is registered and pending).
    port->running.erase(id);
    j->ok = false;
    marshal_message(&j->result, refused);
    port->deliver_now(L, j);
  }
  return 1;
}

// loop:run_in_executor(executor, fn, ...) -> future
int l_run_in_executor(lua_State* L) {
  check_loop(L, 1);
  return submit(L, 2, 3, "run_in_executor", 3);
}

// asyncio._to_thread_submit(fn, ...) -> future (to_thread's body awaits it)
int l_to_thread_submit(lua_State* L) {
  lua_pushnil(L);
  lua_insert(L, 1);  // no executor
  return submit(L, 1, 2, "to_thread", 2);
}

// loop:set_default_executor(executor)
int l_set_default_executor(lua_State* L) {
  Loop* loop = check_loop(L, 1);
  luaL_checkudata(L, 2, kExecutorMT);
  Port* port = loop_port(L, 1, loop);
  port->default_executor = io_ref(L, 2);
  return 0;
}

}  // namespace

void stop_worker_calls(lua_State* L) {
  Runtime* rt = runtime(L);
  std::vector<ThreadPool*> pools;
  {
    std::lock_guard<std::mutex> lock(g_pools_m);
    for (auto& p : g_pools)
      if (p.second == rt) pools.push_back(p.first);
  }
  for (ThreadPool* pool : pools) pool->stop_all(true);
}

int luaopen_executor(lua_State* L) {
  luaL_newmetatable(L, kPortMT);
  push_fn<port_gc>(L);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  luaL_newmetatable(L, kExecutorMT);
  static const Reg meta[] = {{"__gc", fn<executor_gc>},
                                  {"__close", fn<l_executor_close>},
                                  {"__index", fn<l_executor_index>},
                                  {"__tostring", fn<l_executor_tostring>},
                                  {nullptr, nullptr}};
  set_funcs(L, meta, 0);
  static const Reg methods[] = {{"shutdown", fn<l_executor_shutdown>}, {nullptr, nullptr}};
  new_lib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);

  luaL_getmetatable(L, kLoopMT);
  lua_getfield(L, -1, "__index");
  static const Reg loop_methods[] = {
      {"run_in_executor", fn<l_run_in_executor>},
      {"set_default_executor", fn<l_set_default_executor>},
      {nullptr, nullptr},
  };
  set_funcs(L, loop_methods, 0);
  lua_pop(L, 2);

  static const Reg fns[] = {
      {"ThreadPoolExecutor", fn<l_executor_new>},
      {"to_thread_submit", fn<l_to_thread_submit>},
      {nullptr, nullptr},
  };
  new_lib(L, fns);
  return 1;
}

}  // namespace luasync
