// loop.cpp: the event loop. See loop.h for the iteration structure.
#include "loop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "coro.h"
#include "future.h"
#include "task.h"
#include "traceback.h"

namespace luasync {

// ---------------------------------------------------------------- ValueRing

void ValueRing::init(lua_State* L, uint32_t capacity) {
  lua_createtable(L, static_cast<int>(capacity), 0);
  for (uint32_t i = 1; i <= capacity; i++) {  // materialize the array part
    lua_pushboolean(L, 0);
    lua_rawseti(L, -2, i);
  }
  ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  mask_ = capacity - 1;
  head_ = tail_ = 0;
}

void ValueRing::release(lua_State* L) {
  if (ref_ != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, ref_);
  ref_ = LUA_NOREF;
}

void ValueRing::grow(lua_State* L) {
  uint32_t cap = mask_ + 1, n = size();
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref_);  // old
  lua_createtable(L, static_cast<int>(cap * 2), 0);  // new
  for (uint32_t i = 0; i < cap * 2; i++) {
    if (i < n)
      lua_rawgeti(L, -2, ((head_ + i) & mask_) + 1);
    else
      lua_pushboolean(L, 0);
    lua_rawseti(L, -2, i + 1);
  }
  lua_rawseti(L, LUA_REGISTRYINDEX, ref_);
  lua_pop(L, 1);
  mask_ = cap * 2 - 1;
  head_ = 0;
  tail_ = n;
}

void ValueRing::push(lua_State* L) {
  if (size() == mask_ + 1) grow(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref_);
  lua_rotate(L, -2, 1);  // value on top, table below
  lua_rawseti(L, -2, (tail_++ & mask_) + 1);
  lua_pop(L, 1);
}

void ValueRing::pop(lua_State* L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref_);
  int slot = static_cast<int>((head_++ & mask_) + 1);
  lua_rawgeti(L, -1, slot);
  lua_pushboolean(L, 0);  // release the value, keep the array slot
  lua_rawseti(L, -3, slot);
  lua_remove(L, -2);
}

// ---------------------------------------------------------------- Loop

static void noop_timer_cb(uv_timer_t*) {}

Loop::Loop(lua_State* L, const Options& opts) : L_(L), rt_(runtime(L)), opts_(opts) {
  id_ = rt_->next_loop_id++;
  if (opts.virtual_clock)
    clock_ = std::make_unique<VirtualClock>();
  else
    clock_ = std::make_unique<RealClock>();
  uv_loop_init(&uv_);
  uv_timer_init(&uv_, &wake_);
  lua_Debug ar;
  while (lua_getstack(L, base_depth_, &ar)) base_depth_++;
}

Loop::~Loop() {
  // close() must have run; if it did not (the loop userdata was collected
  // after an abnormal exit), release what can be released without Lua.
  if (!closed_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
    uv_run(&uv_, UV_RUN_DEFAULT);
    uv_loop_close(&uv_);
  }
}

void Loop::init_values(lua_State* L) { values_.init(L); }

bool Loop::set_clock_virtual(bool virtual_clock) {
  if (clock_->is_virtual() == virtual_clock) return false;
  double now = clock_->now();
  if (virtual_clock)
    clock_ = std::make_unique<VirtualClock>(now);
  else
    clock_ = std::make_unique<RealClock>(now);
  opts_.virtual_clock = virtual_clock;
  return true;
}

void Loop::schedule_call(lua_State* L, int nargs) {
  luaL_checkstack(L, 2, "too many arguments for a callback");
  // Values are pushed fn, a1..an: move them into the ring in that order.
  int base = lua_gettop(L) - nargs;
  for (int i = base; i <= base + nargs; i++) {
    lua_pushvalue(L, i);
    values_.push(L);
  }
  lua_settop(L, base - 1);
  ready_.push({Entry::Call, static_cast<uint16_t>(nargs + 1), nullptr, nullptr});
}

void Loop::schedule_handle(lua_State* L) {
  values_.push(L);
  ready_.push({Entry::HandleCall, 1, nullptr, nullptr});
}

void Loop::schedule_native(NativeFn fn, void* data, lua_State* L, bool with_value) {
  if (with_value) values_.push(L);
  ready_.push({Entry::Native, static_cast<uint16_t>(with_value ? 1 : 0),
               reinterpret_cast<void*>(fn), data});
}

// ---------------------------------------------------------------- timers

void Loop::push_timer(const Timer& t) {
  timers_.push_back(t);
  std::push_heap(timers_.begin(), timers_.end(), TimerLater());
}

Loop::Timer Loop::pop_timer() {
  std::pop_heap(timers_.begin(), timers_.end(), TimerLater());
  Timer t = timers_.back();
  timers_.pop_back();
  return t;
}

void Loop::add_task_timer(Task* t, double when) {
  t->timer_gen++;
  t->timer_entries++;
  push_timer({when, timer_seq_++, Timer::TaskWake, t->timer_gen, t, LUA_NOREF, 0});
}

void Loop::add_handle_timer(lua_State* L, Handle* h) {
  if (std::isinf(h->when)) {  // never due: not a timer that can wake anything
    lua_pop(L, 1);
    return;
  }
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_timer({h->when, timer_seq_++, Timer::HandleFire, 0, h, ref, 0});
}

uint64_t Loop::add_native_timer(double when, NativeFn fn, void* data) {
  uint64_t id = next_native_id_++;
  if (std::isinf(when)) return id;  // never due
  native_timers_[id] = {fn, data};
  push_timer({when, timer_seq_++, Timer::NativeFire, 0, nullptr, LUA_NOREF, id});
  return id;
}

void Loop::cancel_native_timer(uint64_t id) { native_timers_.erase(id); }

bool Loop::timer_dead(const Timer& t) const {
  switch (t.kind) {
    case Timer::TaskWake: {
      auto* task = static_cast<Task*>(t.obj);
      return task->done() || task->waiting != Task::Wait::Timer || task->timer_gen != t.gen;
    }
    case Timer::HandleFire:
      return static_cast<Handle*>(t.obj)->cancelled;
    case Timer::NativeFire:
      return native_timers_.find(t.native_id) == native_timers_.end();
  }
  return true;
}

// Releases what a timer entry holds, without firing it.
void Loop::discard_timer(const Timer& t) {
  if (t.kind == Timer::TaskWake) task_timer_fired(L_, static_cast<Task*>(t.obj), t.gen, true);
  if (t.kind == Timer::HandleFire) luaL_unref(L_, LUA_REGISTRYINDEX, t.ref);
}

bool Loop::next_timer(double* when) {
  while (!timers_.empty()) {
    const Timer& top = timers_.front();
    if (!timer_dead(top)) {
      *when = top.when;
      return true;
    }
    discard_timer(pop_timer());
  }
  return false;
}

void Loop::move_due_timers() {
  if (timers_.empty()) return;
  double now = clock_->now();
  while (!timers_.empty() && timers_.front().when <= now) {
    Timer t = pop_timer();
    if (timer_dead(t)) {
      discard_timer(t);
      continue;
    }
    switch (t.kind) {
      case Timer::TaskWake:
        task_timer_fired(L_, static_cast<Task*>(t.obj), t.gen, false);
        break;
      case Timer::HandleFire:
        lua_rawgeti(L_, LUA_REGISTRYINDEX, t.ref);
        luaL_unref(L_, LUA_REGISTRYINDEX, t.ref);
        schedule_handle(L_);
        break;
      case Timer::NativeFire: {
        auto it = native_timers_.find(t.native_id);
        NativeTimer nt = it->second;
        native_timers_.erase(it);
        schedule_native(nt.fn, nt.data);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------- I/O

void Loop::poll_io(double timeout) {
  iterations_since_poll_ = 0;
  if (timeout == 0) {
    uv_run(&uv_, UV_RUN_NOWAIT);
  } else if (timeout < 0) {
    uv_run(&uv_, UV_RUN_ONCE);
  } else {
    // Round up so the loop never wakes before the timer is due (and stay
    // within what libuv's millisecond timer can hold).
    double capped = std::min(timeout * 1000.0, 1e12);
    auto ms = static_cast<uint64_t>(std::ceil(capped));
    // libuv times timers from its cached loop time, refreshed only by
    // uv_run: after Lua ran a while, a timer started from the stale time
    // would already be due, and uv_run would then poll without a timeout.
    uv_update_time(&uv_);
    uv_timer_start(&wake_, noop_timer_cb, ms, 0);
    uv_run(&uv_, UV_RUN_ONCE);
    uv_timer_stop(&wake_);
  }
}

bool Loop::io_alive() { return uv_loop_alive(&uv_) != 0 || clock_holds_ > 0; }

bool Loop::io_busy() const { return uv_.active_reqs.count > parked_reqs_ || clock_holds_ > 0; }

// I/O is polled at least this often while callbacks keep the ready queue
// busy; polling at every iteration would cost a system call per task switch.
static constexpr unsigned kPollEvery = 64;

bool Loop::run_once() {
  if (!ready_.empty()) {
    if (++iterations_since_poll_ >= kPollEvery) poll_io(0);
  } else {
    double next;
    if (next_timer(&next)) {
      double now = clock_->now();
      if (next <= now) {
        poll_io(0);
      } else if (!clock_->is_virtual()) {
        poll_io(next - now);
      } else {
        // Virtual clock: jump to the next timer unless I/O can still make
        // progress. In-flight requests get a real-time grace to complete.
        // A loopback event often only enables the next one (an accept starts
        // a read whose data is already there), so poll a few times before
        // concluding that nothing is coming.
        for (int i = 0; i < 3 && ready_.empty(); i++) poll_io(0);
        if (ready_.empty()) {
          if (io_busy())
            poll_io(opts_.autojump_grace);
          else
            clock_->advance_to(next);
        }
      }
    } else if (io_alive()) {
      poll_io(-1);
    } else {
      return false;
    }
  }
  move_due_timers();

  // Run what was ready when the iteration started.
  size_t n = ready_.size();
  for (size_t i = 0; i < n && !ready_.empty(); i++) run_entry(ready_.pop());
  if (rt_->recent_high) coro_flush_recent(L_);
  return true;
}

void Loop::run_entry(const Entry& e) {
  lua_State* L = L_;
  switch (e.kind) {
    case Entry::Step:
      task_step(L, static_cast<Task*>(e.obj));
      return;
    case Entry::Native: {
      if (e.nvals) values_.pop(L);
      auto fn = reinterpret_cast<NativeFn>(e.obj);
      int top = lua_gettop(L) - e.nvals;
      fn(L, e.data);
      lua_settop(L, top);
      return;
    }
    case Entry::Call:
    case Entry::HandleCall: {
      int base = lua_gettop(L);
      int nargs;
      for (int i = 0; i < e.nvals; i++) values_.pop(L);
      if (e.kind == Entry::HandleCall) {
        // Replace the handle by its callback and arguments.
        auto* h = static_cast<Handle*>(lua_touserdata(L, -1));
        if (h->cancelled) {
          lua_settop(L, base);
          return;
        }
        nargs = h->nargs;
        luaL_checkstack(L, nargs + 8, "too many arguments for a callback");
        for (int i = 1; i <= nargs + 1; i++) lua_getiuservalue(L, base + 1, i);
        lua_remove(L, base + 1);
      } else {
        nargs = e.nvals - 1;
      }
      double real0 = opts_.debug ? monotonic_seconds() : 0, loop0 = opts_.debug ? time() : 0;
      lua_pushvalue(L, base + 1);
      lua_insert(L, base + 1);  // keep the callback at base+1 for messages
      int fn_idx = lua_gettop(L) - nargs;
      push_traceback_handler(L);
      lua_insert(L, fn_idx);
      if (lua_pcall(L, nargs, 0, fn_idx) != LUA_OK) {
        // Python logs "Exception in callback ..." and goes on.
        std::string tb = traceback_of_last_error(L, -1);
        report(L, "callback_error", "Exception in callback " + describe_value(L, base + 1) + "\n" + tb, base + 1);
      }
      if (opts_.debug) check_slow(real0, loop0, L, base + 1);
      lua_settop(L, base);
      return;
    }
  }
}

void Loop::check_slow(double real_start, double loop_start, lua_State* L, int what_idx) {
  double took = monotonic_seconds() - real_start;
  if (clock_->is_virtual()) took += time() - loop_start;  // time.sleep under the virtual clock
  if (took < opts_.slow_callback_duration) return;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", took);
  report(L, "slow_callback", "Executing " + describe_value(L, what_idx) + " took " + secs + " seconds", what_idx);
}

// ---------------------------------------------------------------- tasks

void Loop::link_task(Task* t) {
  t->prev = nullptr;
  t->next = tasks_;
  if (tasks_) tasks_->prev = t;
  tasks_ = t;
  t->linked = true;
  ntasks_++;
}

void Loop::unlink_task(Task* t) {
  if (!t->linked) return;
  if (t->prev) t->prev->next = t->next;
  else tasks_ = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = nullptr;
  t->linked = false;
  ntasks_--;
}

// ---------------------------------------------------------------- close

static void walk_close(uv_handle_t* h, void*) {
  if (!uv_is_closing(h)) uv_close(h, nullptr);
}

uint64_t Loop::add_close_hook(NativeFn fn, void* data) {
  uint64_t id = next_hook_id_++;
  close_hooks_[id] = {fn, data};
  return id;
}

void Loop::close(lua_State* L) {
  if (closed_) return;
  closed_ = true;
  // I/O layers close their handles first (a hook may remove other hooks).
  while (!close_hooks_.empty()) {
    auto it = close_hooks_.begin();
    NativeTimer hook = it->second;
    close_hooks_.erase(it);
    hook.fn(L, hook.data);
  }
  // Drop what the ready queue and the timers still hold.
  while (!ready_.empty()) {
    Entry e = ready_.pop();
    for (int i = 0; i < e.nvals; i++) {
      values_.pop(L);
      lua_pop(L, 1);
    }
  }
  while (!timers_.empty()) discard_timer(pop_timer());
  native_timers_.clear();
  values_.release(L);
  // Every libuv handle still open (ours and any I/O layer's) is closed here;
  // I/O layers free their memory in their close callbacks, which uv_walk
  // cannot give them, so they must have closed their handles already.
  uv_walk(&uv_, walk_close, nullptr);
  uv_run(&uv_, UV_RUN_DEFAULT);
  uv_loop_close(&uv_);
}

// ---------------------------------------------------------------- describe

std::string describe_value(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (to_task(L, idx)) {
    push_task_repr(L, idx);
    std::string s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s;
  }
  if (lua_type(L, idx) == LUA_TFUNCTION) {
    lua_Debug ar;
    lua_pushvalue(L, idx);
    lua_getinfo(L, ">S", &ar);
    char buf[512];
    std::snprintf(buf, sizeof buf, "<function at %s:%d>", ar.short_src, ar.linedefined);
    return buf;
  }
  return safe_tostring(L, idx);
}

}  // namespace luasync
