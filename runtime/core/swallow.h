// swallow.h: the swallowed-cancellation warning (debug mode and lessons).
//
// Lua has no BaseException: `pcall` catches CancelledError like any other
// error, where Python's `except Exception` would not. So a cancelled task
// can catch its own cancellation by accident and carry on as if nothing
// happened. In debug mode the runtime watches for it:
//   1. asyncio.pcall / asyncio.xpcall (the globals pcall and xpcall in
//      luasync) behave exactly as Lua's, and when they catch a CancelledError
//      in a task that has a cancellation pending (task:cancelling() > 0),
//      they note on the task where that pcall is (the caller's file:line;
//      pcalls inside the runtime's own Lua code are not noted);
//   2. task:uncancel() clears the note (the cancellation was stopped on
//      purpose), and so does the task ending cancelled (it re-raised);
//   3. if the task instead returns normally, fails with another error, ends
//      cancelled by a later cancellation (not the one it caught), or catches
//      a later cancellation again, the runtime warns (report kind
//      "swallowed_cancel"), naming the task and the pcall.
// Cleaning up with awaits between the catch and the re-raise is fine: only
// what the task does in the end counts.
#pragma once

#include <lua.hpp>

namespace luasync {

struct Task;

// The task at tidx went on after swallowing its cancellation (`how`: "returned
// normally", ...): reports it if a catch was noted (and the cancellation is
// still pending), then forgets the note.
void swallow_report(lua_State* L, int tidx, Task* t, const char* how);
// Forgets the note.
void swallow_clear(lua_State* L, int tidx, Task* t);
// task:uncancel() (before it counts down), called from level 1: the
// program stopping the cancellation on purpose forgets the note; the
// runtime's own code (an asyncio.timeout() or TaskGroup that cancelled the
// task and finds the block ended without the error) reports it.
void swallow_uncancel(lua_State* L, int tidx, Task* t);
// The task ends with the CancelledError at err_idx: fine if it is the one
// it caught (re-raised), else it had gone on after the first.
void swallow_ended_cancelled(lua_State* L, int tidx, Task* t, int err_idx);

// asyncio.pcall and asyncio.xpcall.
int swallow_pcall(lua_State* L);
int swallow_xpcall(lua_State* L);

}  // namespace luasync
