// traceback.h: tracebacks that span the await chain.
//
// The message handler installed around every task body and callback records,
// at the point an error is raised, the frames of the raising thread. When
// `await` re-raises the exception of a failed task, it notes that task's
// traceback first, and the handler of the awaiting task appends it after its
// own frames ("awaited by"), so the traceback printed at the top shows every
// coroutine of the chain with file:line, most recent call first. Error values
// are never wrapped: the traceback travels beside them.
#pragma once

#include <lua.hpp>

#include <string>

namespace luasync {

struct Task;

// Pushes the message handler (a C function) for lua_pcall.
void push_traceback_handler(lua_State* L);
// The frames recorded for the error value at idx if it is the last error the
// handler saw, else an empty string.
std::string traceback_frames_of(lua_State* L, int idx);
// The same frames pushed as a Lua string (no C++ string to outlive a raise),
// or nil when there are none; returns whether there are.
bool push_traceback_frames_of(lua_State* L, int idx);
// "<message>\nstack traceback:\n<frames>" for the error at idx.
std::string traceback_of_last_error(lua_State* L, int idx);
// Formats "<message>\nstack traceback:\n<frames>".
std::string format_traceback(lua_State* L, int err_idx, const std::string& frames);
// The frames of thread L from `level` on, one "\t" line each. `owner` is the
// task whose thread L is, when it is not the running task (a suspended one).
std::string stack_frames(lua_State* L, int level, Task* owner = nullptr);
// await is about to raise the error at idx, which failed a task whose
// traceback frames are `frames` (described by `what`).
void note_rethrow(lua_State* L, int idx, const std::string& frames, const std::string& what);

}  // namespace luasync
