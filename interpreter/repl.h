// repl.h: the pieces of the interactive REPL (docs/repl.md), shared by
//   repl.cpp           the driver: session, input loop, running inputs as tasks,
//                      Ctrl-C, commands
//   repl_chunk.cpp     input checking (complete / incomplete / syntax error) and
//                      compilation with top-level locals kept across inputs
//   repl_print.cpp     the pretty printer for results
//   repl_term.cpp      the terminal: GNU readline's callback interface, output
//                      that does not garble the line being typed, history
//   repl_complete.cpp  tab completion
#pragma once

#include <lua.hpp>

#include <string>

namespace luasync::repl {

// ---------------------------------------------------------------- chunks

enum class Check { Ok, Incomplete, Error };

// Checks an input like lua.c: first as an expression ("return " .. src),
// then as statements, then (for "t = {}; t.x = 1; t") as statements whose
// part after the last top-level ';' is returned. Incomplete means that the
// expression or statements form stopped at <eof> (more lines may complete
// it). On Ok, *code is the chunk to run; on Error, *message is the
// statements form's syntax error. `interactive` false tries statements only
// (files). Leaves the stack unchanged.
Check check_input(lua_State* L, const std::string& src, const char* chunkname, bool interactive,
                  std::string* code, std::string* message);

// Compiles a checked chunk (check_input's *code) into the function an input
// task runs, with the session's top-level locals joined in (docs/repl.md,
// "Locals"), and pushes it. The chunk's own top-level locals are recorded as
// it runs. Returns false with the message pushed if it does not compile (it
// was checked, so only by hitting a Lua limit).
bool load_input(lua_State* L, const char* code, size_t len, const char* chunkname);

// Pushes a table name -> value of the session locals (kept in the registry
// as name -> {closure, upvalue index}).
void push_session_locals(lua_State* L);

// ---------------------------------------------------------------- printing

// Formats the value at idx for the REPL: strings quoted, tables expanded
// (nested, cycles marked, size-limited), tasks/futures/coroutines by their
// __tostring. May run __tostring metamethods: call it protected.
std::string format_value(lua_State* L, int idx);
// Quotes a string the way format_value shows it.
std::string quote_string(const char* s, size_t len);

// ---------------------------------------------------------------- terminal

struct LineSink {
  virtual ~LineSink() = default;
  virtual void on_line(char* line) = 0;  // nullptr: end of input (Ctrl-D)
};

// Sets readline up (callback interface, completion, history, output
// streams). Replaces the global stdout/stderr FILE*s by streams that hold
// output back while a prompt is displayed (so print, io.write, io.stderr and
// the runtime's warnings never garble the line being typed): create the Lua
// state after this, so its io library uses them.
void term_open(LineSink* sink);
// Reads the history file (path "" : no history) and appends each new line to it.
void term_load_history(const char* path);
// Restores stdout/stderr, saves the history file, releases readline.
void term_close();
// Shows the prompt and starts taking keys (readline handler installed).
void term_prompt(const char* prompt);
// Takes the prompt down without a line (before running something else).
void term_unprompt();
bool term_prompt_shown();
// stdin is readable: let readline read a key (may call sink->on_line).
void term_read_key();
// Ctrl-C while typing: abandon the line, leave the prompt down.
void term_cancel_line();
// Writes output held back while the prompt was displayed, above the prompt
// (save the line, clear it, print, redraw it). Call after each loop iteration.
void term_flush();
// The terminal was resized.
void term_resized();
// Adds a line to the history (and the history file).
void term_add_history(const char* line);

// ---------------------------------------------------------------- completion

// The Lua state completion looks into (set by the driver; nullptr: none).
void complete_set_state(lua_State* L);
// Installs the readline completion hooks.
void complete_install();

}  // namespace luasync::repl
