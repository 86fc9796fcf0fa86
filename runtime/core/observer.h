// observer.h: how the layers above the core watch it without the core
// knowing them (runtime/observe/'s recorder implements both interfaces).
//
// The core calls these and nothing else of theirs: it includes no header of
// io/ or observe/ (the build compiles it with only core/ and bind/ on the
// include path).
#pragma once

#include <lua.hpp>

namespace luasync {

class Loop;
struct Task;

// Watches the tasks of one loop while attached (Loop::observer). task.cpp
// calls it from three places; a loop without one pays a pointer test each:
//   push_new_task -> task_created (the task is at tidx, its coroutine at coro_idx)
//   task_step     -> step_begin   (right before lua_resume)
//   task_step     -> step_end     (once the step's outcome is settled: the task
//                                  is done, waiting, or scheduled again)
class TaskObserver {
 public:
  virtual void task_created(lua_State* L, int tidx, Task* t, int coro_idx) = 0;
  virtual void step_begin(Task* t) = 0;
  virtual void step_end(lua_State* L, int tidx, Task* t) = 0;

 protected:
  ~TaskObserver() = default;
};

// Watches each asyncio.run (the timeline / trace recording). One object per
// run, made by Runtime::run_observer.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Before the loop exists: reads its options from the run's options table
  // at opts (0: none). May raise (a bad option, a file that cannot be opened).
  virtual void configure(lua_State* L, int opts) = 0;
  // The loop is open; the run is about to start.
  virtual void start(Loop* loop) = 0;
  // The loop has shut down. Never raises.
  virtual void finish(lua_State* L) = 0;
};

}  // namespace luasync
