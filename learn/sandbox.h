// sandbox.h: where learner code runs: a child process forked from the engine
// state, with limits on instructions, memory, output, real and virtual time.
//
// The child runs the checks of one exercise from a given index on, or of
// several exercises of the same learner one after another, and reports on a
// pipe, one record per line (fields separated by tabs, escaped with
// encode_field):
//   J job                  the next exercise begins (job: its index among
//                          the Runner's jobs; not sent for the first)
//   B i                    check i (0-based) begins
//   P i out err odrop edrop   what check i printed on stdout and on stderr
//                          (kept up to 16 KB each; *drop: bytes left out)
//   W i kind line msg      a diagnostic of the runtime during check i (kind:
//                          never_awaited, unretrieved, callback_error,
//                          swallowed_cancel, timeout_not_closed, blocking,
//                          slow_callback...; line: the learner's, or empty)
//   R i status line msg    it ended: status "pass" or "fail"; line is the
//                          learner's line when known (else empty)
//   L kind line            a limit stopped it (kind: instructions, memory,
//                          output, time); the child exits right after
//   O text                 run mode: what the learner's code printed (with
//                          `stream`, several as it is printed: append them)
//   T svg snapshots        run mode with `timeline`: the picture of one
//                          asyncio.run (timeline_svg.cpp) and its call-graph
//                          snapshots (a JSON array), after that run
//   V finished time tasks values error warnings line call timeline
//                          run mode: how the run ended (call: what was
//                          run, "cook()"; timeline: its text chart); P 0
//                          and W 0 come before it
//   E msg                  the checks could not run at all (setup error)
//   D                      this exercise is done
// A child that dies without L/D is reported from its exit status by the
// parent (runner.h), which restarts a new child at the next check.
//
// Limits, all per check (a check is the unit that fails):
//   - instructions: a count hook set on the engine state's main thread when
//     the state is made; every thread created later (task threads,
//     coroutine.create) inherits it (Lua 5.4's lua_newthread copies the
//     hook), so no learner code runs unhooked. The count is per thread, so
//     the loop also charges each iteration (tasks too short to reach a tick);
//   - memory: the engine state's allocator counts bytes; an allocation that
//     would pass the budget stops the check right there (the allocator is
//     the one place every way of growing goes through); RLIMIT_AS is a
//     backstop for memory outside Lua (skipped under AddressSanitizer);
//   - output: print/io.write write into a bounded buffer;
//   - time: the check's CPU time (every thread of the child), so that a busy
//     machine never turns computation into a timeout; and a real-time
//     backstop, several times longer, for waits that use no CPU. The hook,
//     the allocator and the loop look at the clock; a CPU timer (SIGPROF)
//     stops C code no hook reaches; the parent kills a child that stops
//     answering past the real-time backstop;
//   - virtual time: each run's loop stops at a virtual deadline.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "confine.h"

namespace luasync::learn {

class Engine;
struct Exercise;

struct Limits {
  double cpu_seconds = 5.0;             // CPU time per check (--time-limit)
  uint64_t instructions = 50'000'000;   // Lua VM instructions per check (the lessons' checks use < 2M)
  size_t memory = 64u << 20;            // bytes the Lua heap may grow per check
  size_t output = 256u << 10;           // bytes printed per check
  double virtual_seconds = 86400;       // virtual clock per run (one day)
  // Real seconds the virtual clock waits for in-flight I/O before jumping
  // (Loop::Options::autojump_grace; asyncio.run's default is 0.05). Loopback
  // I/O with the test server completes well within it.
  double autojump_grace = 0.01;

  // Real (wall-clock) seconds per check: a backstop for a check that waits
  // without computing (a socket nobody answers, a grandchild's C loop).
  // Generous, so that a check starved of CPU on a loaded machine is still
  // judged by its CPU time.
  double wall_seconds() const { return 3 * cpu_seconds + 5; }
};

// The real-time backstops (Limits::wall_seconds, the parent's kill, `learn
// exec`'s alarm) move later by the time the check's threads spent waiting
// for a CPU (cpu_wait_ns, confine.h), by at most this many backstops.
constexpr int kMaxStarvedBackstops = 30;

enum class Mode { Check, Run };

struct SandboxJob {
  const Exercise* ex = nullptr;
  std::string source;     // the learner's file (already read, checked to be UTF-8)
  std::string chunkname;  // "@exercises/01-why-async/kitchen.lua"
  std::string workdir;    // fs grant: the private directory (made by the parent)
  Mode mode = Mode::Check;
  size_t index = 0;       // the Runner's job index (the J record)
  bool stream = false;    // run mode: send the output as it is printed (O records)
  bool timeline = false;  // run mode: record every asyncio.run and send its picture (T records)
  int width = 0;          // run mode: the text chart's width (0: none) and colors
  bool color = false;
};

// Exit statuses of a child that stopped on a limit (the L record says more).
enum ChildExit : int {
  kExitDone = 0,
  kExitInstructions = 70,
  kExitMemory = 71,
  kExitOutput = 72,
  kExitRealTime = 73,
  kExitInternal = 74,
};

// A Lua state whose allocator keeps the budget the child enforces.
lua_State* sandbox_new_state();
// Pushes the table of native functions checker.lua receives.
void sandbox_push_natives(lua_State* L);
// In the child: runs `jobs` one after another (the first from check `first`
// on), writing records to fd, and exits (never returns).
// The OS confinement of a child that runs `jobs` (all with the same grants)
// from check `first` on.
Confinement sandbox_confinement(const std::vector<SandboxJob>& jobs, int first, const Limits& limits);
// `parent` is the pid of the process that forked it.
[[noreturn]] void sandbox_child(Engine& engine, const std::vector<SandboxJob>& jobs, int first, const Limits& limits,
                                int fd, int parent);

// `luasync learn exec -e CODE [args]`: runs CODE in this process with the
// sandbox environment (no grants) and the limits, printing to stdout. What an
// exercise with the subprocess grant gets when it starts "luasync": the
// child cannot escape the sandbox through a subprocess. Returns the exit status.
int sandbox_exec(Engine& engine, const std::string& code, const std::vector<std::string>& args, const Limits& limits);

// Record fields: tab, newline and backslash escaped.
std::string encode_field(const std::string& s);
std::string decode_field(const std::string& s);

}  // namespace luasync::learn
