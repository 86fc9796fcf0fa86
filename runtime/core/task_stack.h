// task_stack.h: task:get_stack() and task:print_stack() (task_stack.cpp).
#pragma once

#include <lua.hpp>

#include <cstddef>

namespace luasync {

// Pushes the table of one frame line "src:line: in what":
// {text =, source =, line =, name =}.
void push_frame_table(lua_State* L, const char* frame, size_t len);

// Adds get_stack and print_stack to the Task metatable.
void open_task_stack(lua_State* L);

}  // namespace luasync
