// interpreter.h: what main.cpp dispatches to.
#pragma once

#include <lua.hpp>

#include <string>
#include <vector>

namespace luasync {

struct RunOptions {
  const char* argv0 = "luasync";
  bool virtual_time = false;
  bool debug = false;
  bool timeline = false;            // --timeline: chart of every asyncio.run after the program
  const char* timeline_format = "text";  // --timeline=svg|html FILE: text, svg or html
  const char* timeline_path = nullptr;   // where it goes (nullptr: stdout)
  const char* trace_path = nullptr; // --trace FILE: Chrome trace of every asyncio.run
  int width = 0;                    // --width N: the chart's width (0: the terminal's)
  bool has_code = false;
  const char* code = nullptr;
  bool has_script = false;
  const char* script = nullptr;
  int script_index = 0;  // argv index that becomes arg[0]
  int first_arg = 0;     // argv index of arg[1]
  std::vector<const char*> argv;
};

// A fresh Lua state with the standard libraries, asyncio, async, await and
// time preloaded, and the runtime defaults set from opts.
lua_State* new_state(const RunOptions& opts);
// Runs the chunk on the stack (below it nargs arguments) with the traceback
// handler; on error prints "luasync: <message>\nstack traceback..." to stderr
// and returns false.
bool call_chunk(lua_State* L, int nargs, int nresults, bool* interrupted = nullptr);
// Flushes pending runtime work (warnings) and closes the state.
void close_state(lua_State* L);
// Prints an error message the way the interpreter does.
void report_error(lua_State* L, int err_idx);

int run_program(const RunOptions& opts);  // FILE or -e
int run_repl(const RunOptions& opts);     // no FILE

const char* libuv_version();

}  // namespace luasync
