// call_graph.h: which task awaits which (Python 3.14's asyncio call-graph
// introspection: print_call_graph, format_call_graph, capture_call_graph).
//
// The graph is read from the tasks of the running loop: a waiting task's
// UV_WAITER is the future it awaits; a future labelled with children
// (asyncio._label: gather, shield, wait, a TaskGroup's end) awaits those.
// From a task it goes down to the leaf it waits on (a sleep, a lock, a
// read...) and up to whoever awaits it ("awaited by", as in Python).
#pragma once

#include <lua.hpp>

namespace luasync {

struct CallGraphOptions {
  static constexpr int kAll = -2147483647 - 1;
  // Frames of each call stack: kAll all; 0 none; n > 0 the n innermost;
  // n < 0 the -n outermost (Python's `limit`).
  int limit = kAll;
};

// Pushes the await graph as text (format_call_graph). idx 0: every task of the running loop as a
// forest, from the tasks nobody awaits down to what each one waits on (the
// REPL's `:tasks`); "" if no loop is running. Otherwise the Task or Future at
// idx: its call stack, what it awaits down to the leaf, and who awaits it.
// Each node looks like Python's:
//   * Task 'A' worker("A", 2) at demo.lua:3
//   + Call stack:
//   |   demo.lua:4: in coroutine 'worker'
//   + Awaiting: sleep until 2.000 (1.000 s left)
//   + Awaited by:
//      * Future 'gather' (pending)
//         ...
void push_call_graph(lua_State* L, int idx = 0, const CallGraphOptions& opts = {});

// asyncio.print_call_graph, asyncio.format_call_graph and
// asyncio.capture_call_graph into the asyncio table at -1.
void open_call_graph(lua_State* L);

}  // namespace luasync
