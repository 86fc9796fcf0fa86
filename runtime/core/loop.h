// loop.h: the event loop (port of asyncio's BaseEventLoop._run_once on libuv).
//
// One iteration: poll I/O (libuv) with a timeout computed from the ready queue
// and the timer heap, move due timers to the ready queue, then run the
// callbacks that were ready when the iteration started (FIFO). Callbacks added
// meanwhile wait for the next iteration, as in Python.
//
// The ready queue and the timers live in C++. Lua values that ride along with
// a ready entry (a callback and its arguments, a future) are kept in a ring
// buffer table anchored in the registry, so scheduling does not allocate once
// the ring has grown to the program's working size.
//
// libuv callbacks never resume Lua threads: they only resolve futures or
// schedule entries. Lua threads are resumed only by Task::step, which runs
// only from run_ready().
#pragma once

#include <lua.hpp>
#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "clock.h"
#include "runtime.h"

namespace luasync {

struct Future;
struct Task;
class TaskObserver;

// A native callback scheduled by C++ code (I/O layers). `L` is the loop's
// thread; if the entry carried a Lua value, it is on top of L's stack.
using NativeFn = void (*)(lua_State* L, void* data);

// A FIFO ring of Lua values, stored in a Lua table anchored in the registry.
class ValueRing {
 public:
  void init(lua_State* L, uint32_t capacity = 256);
  void release(lua_State* L);
  // Moves the value on top of L's stack into the ring.
  void push(lua_State* L);
  // Pushes the oldest value onto L's stack and removes it from the ring.
  void pop(lua_State* L);
  uint32_t size() const { return tail_ - head_; }

 private:
  void grow(lua_State* L);
  int ref_ = LUA_NOREF;
  uint32_t head_ = 0, tail_ = 0, mask_ = 0;
};

// A growable FIFO of trivially copyable entries (no allocation in steady state).
template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  void push(const T& v) {
    if (tail_ - head_ == buf_.size()) grow();
    buf_[tail_++ & (buf_.size() - 1)] = v;
  }
  T pop() { return buf_[head_++ & (buf_.size() - 1)]; }
  void clear() { head_ = tail_ = 0; }

 private:
  void grow() {
    std::vector<T> nb(buf_.empty() ? 256 : buf_.size() * 2);
    size_t n = tail_ - head_;
    for (size_t i = 0; i < n; i++) nb[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(nb);
    head_ = 0;
    tail_ = n;
  }
  std::vector<T> buf_;
  size_t head_ = 0, tail_ = 0;
};

// A call_soon / call_later handle visible to Lua (userdata asyncio.Handle or
// asyncio.TimerHandle; the callback and its arguments are its user values).
struct Handle {
  bool cancelled = false;
  bool timer = false;
  uint16_t nargs = 0;
  double when = 0;
};

class Loop {
 public:
  struct Options {
    bool virtual_clock = false;
    bool debug = false;
    double slow_callback_duration = 0.1;
    // Virtual clock: how long (real seconds) to wait for in-flight I/O before
    // concluding that nothing can happen and jumping to the next timer.
    double autojump_grace = 0.05;
  };

  // Makes no Lua allocation (it cannot raise): then init_values(), which
  // can, once the userdata's finalizer owns the loop (loop_open).
  Loop(lua_State* L, const Options& opts);
  void init_values(lua_State* L);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uint64_t id() const { return id_; }
  // Depth of the loop thread's Lua stack when the loop started: tracebacks of
  // errors in callbacks stop there (the frames below belong to asyncio.run's
  // caller, not to the callback).
  int base_depth() const { return base_depth_; }
  lua_State* thread() const { return L_; }
  uv_loop_t* uv() { return &uv_; }
  const Options& options() const { return opts_; }
  double time() const { return clock_->now(); }
  Clock& clock() { return *clock_; }
  // Switches between the real and the virtual clock (the REPL's :clock).
  // Loop time stays continuous: the new clock starts from the old one's
  // reading at the switch (time() right after equals time() right before)
  // and then moves by its own rules. Every deadline the loop holds (timer
  // entries, TimerHandle:when()) is a loop time, so each pending timer keeps
  // exactly the delay it had left and fires in the same order; none is
  // re-based. Returns false (and changes nothing) if the clock already is of
  // that kind. Call it between callbacks, not from inside run_once's poll.
  bool set_clock_virtual(bool virtual_clock);
  bool closed() const { return closed_; }

  // --- scheduling (never runs anything immediately) ---
  void schedule_step(Task* t) { ready_.push({Entry::Step, 0, t, nullptr}); }
  // Pops a function and nargs arguments (pushed in that order) from L.
  void schedule_call(lua_State* L, int nargs);
  // Pops a Handle userdata from L; runs its callback unless it is cancelled.
  void schedule_handle(lua_State* L);
  // fn(L, data) on the next iteration; if with_value, pops a Lua value from L
  // that is anchored until then and passed on top of the stack.
  void schedule_native(NativeFn fn, void* data, lua_State* L = nullptr, bool with_value = false);

  // --- timers (on this loop's clock) ---
  // Parks task t until `when`; returns the generation that identifies the entry.
  void add_task_timer(Task* t, double when);
  // Pops a TimerHandle userdata from L and fires it at h->when.
  void add_handle_timer(lua_State* L, Handle* h);
  // A native timer; returns an id for cancel_native_timer.
  uint64_t add_native_timer(double when, NativeFn fn, void* data);
  void cancel_native_timer(uint64_t id);

  // While > 0, the virtual clock waits for real I/O before jumping
  // (subprocesses, transfers in flight). Balanced calls only.
  void hold_clock() { clock_holds_++; }
  void release_clock() { clock_holds_--; }
  // A libuv request that cannot complete until some task acts (a write
  // blocked by a peer that does not read) must not keep the virtual clock
  // waiting, or a peer sleeping on a timer would never wake: I/O layers park
  // such requests while they are blocked. Balanced calls only.
  void park_request() { parked_reqs_++; }
  void unpark_request() { parked_reqs_--; }

  // --- I/O layers ---
  // fn(L, data) runs at the start of close(), while Lua may still be called,
  // so that an I/O layer closes its open handles with its own close callbacks
  // (which close() then runs) and drops its Lua anchors. Returns an id for
  // remove_close_hook. Hooks run in the order they were added.
  uint64_t add_close_hook(NativeFn fn, void* data);
  void remove_close_hook(uint64_t id) { close_hooks_.erase(id); }

  // --- running ---
  // One iteration. Returns false when nothing can ever happen again: no
  // ready callbacks, no live timers, no live I/O (a deadlock if someone is
  // still waiting).
  bool run_once();
  // Runs until `done` returns true or nothing can happen; returns whether
  // `done` became true.
  template <class Pred>
  bool run_until(Pred done) {
    while (!done()) {
      if (!run_once()) return done();
    }
    return true;
  }
  // Stops and closes every libuv handle, runs libuv until they are closed,
  // releases the Lua anchors. Idempotent.
  void close(lua_State* L);

  // --- tasks ---
  Task* current_task() const { return current_; }
  void set_current_task(Task* t) { current_ = t; }
  void link_task(Task* t);
  void unlink_task(Task* t);
  Task* first_task() const { return tasks_; }
  size_t task_count() const { return ntasks_; }
  // Who watches the tasks (observer.h: the recorder of runtime/observe/)
  // while one is attached: task.cpp reports each task's creation, steps and
  // suspensions to it.
  TaskObserver* observer = nullptr;

  // Debug mode: report a callback or step that held the loop too long.
  void check_slow(double real_start, double loop_start, lua_State* L, int what_idx);

 private:
  struct Entry {
    enum Kind : uint8_t { Step, Call, HandleCall, Native };
    Kind kind;
    uint16_t nvals;  // Lua values of this entry in the ring
    void* obj;       // Task* (Step), NativeFn (Native)
    void* data;      // Native data
  };
  struct Timer {
    enum Kind : uint8_t { TaskWake, HandleFire, NativeFire };
    double when;
    uint64_t seq;
    Kind kind;
    uint32_t gen;   // TaskWake: the task's timer generation at arming
    void* obj;      // Task* or Handle*
    int ref;        // HandleFire: registry anchor of the handle userdata
    uint64_t native_id;
  };
  struct TimerLater {
    bool operator()(const Timer& a, const Timer& b) const {
      return a.when > b.when || (a.when == b.when && a.seq > b.seq);
    }
  };
  struct NativeTimer {
    NativeFn fn;
    void* data;
  };

  void run_entry(const Entry& e);
  bool timer_dead(const Timer& t) const;
  void discard_timer(const Timer& t);
  // Drops dead timers at the top; returns whether a live one remains.
  bool next_timer(double* when);
  void move_due_timers();
  void poll_io(double timeout);
  bool io_alive();
  bool io_busy() const;
  void push_timer(const Timer& t);
  Timer pop_timer();

  lua_State* L_;
  int base_depth_ = 0;
  Runtime* rt_;
  uint64_t id_;
  Options opts_;
  std::unique_ptr<Clock> clock_;
  uv_loop_t uv_;
  uv_timer_t wake_;
  bool closed_ = false;
  ValueRing values_;
  Fifo<Entry> ready_;
  std::vector<Timer> timers_;  // binary heap (TimerLater)
  uint64_t timer_seq_ = 0;
  uint64_t next_native_id_ = 1;
  std::unordered_map<uint64_t, NativeTimer> native_timers_;
  std::map<uint64_t, NativeTimer> close_hooks_;
  uint64_t next_hook_id_ = 1;
  int clock_holds_ = 0;
  unsigned parked_reqs_ = 0;
  unsigned iterations_since_poll_ = 0;
  Task* current_ = nullptr;
  Task* tasks_ = nullptr;  // intrusive list of tasks not done
  size_t ntasks_ = 0;
};

// Formats an entry for debug messages ("<Task ...>" or the callback).
std::string describe_value(lua_State* L, int idx);

}  // namespace luasync
