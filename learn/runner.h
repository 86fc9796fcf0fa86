// runner.h: the parent side of check runs: reads the learner's files, forks
// sandbox children from the engine (a pool of `jobs` at a time, each running
// one exercise or a batch of one learner's exercises), enforces the
// real-time limit with SIGKILL, and turns the children's records and exit
// statuses into results. A child stopped by a limit fails the check it was
// running; a new child goes on with the next check (and the rest of its
// batch), so one bad check never costs the others. `luasync learn` and
// `luasync grade` share it.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "catalog.h"
#include "sandbox.h"

namespace luasync::learn {

// Something the runtime noticed while the learner's code ran (its
// debug-mode warnings, and blocking calls).
struct Diagnostic {
  std::string kind;     // never_awaited, unretrieved, callback_error, swallowed_cancel,
                        // timeout_not_closed, blocking, slow_callback
  int line = 0;         // the learner's line it points at, or 0
  std::string message;  // for the learner, one paragraph
};

// What the learner's code did besides its results, during one check or run.
struct Observed {
  std::string output;        // what it printed on stdout (the first 16 KB)
  std::string debug_output;  // on stderr: debug output, never compared
  size_t output_dropped = 0, debug_dropped = 0;  // bytes left out
  std::vector<Diagnostic> diagnostics;
};

struct CheckResult {
  enum Status { NotRun, Pass, Fail };
  std::string name;
  double points = 0;  // the check's points (earned if it passed)
  Status status = NotRun;
  std::string message;  // why it failed (several lines at most)
  int line = 0;         // the learner's line it points at, or 0
  std::string limit;    // "instructions", "memory", "output", "time", "crash", or ""
  Observed seen;
};

// The picture of one asyncio.run of a run (Job::timeline).
struct RunTimeline {
  std::string svg;        // an <svg> element (timeline_svg.cpp)
  std::string snapshots;  // its call-graph snapshots, a JSON array
};

// What `luasync learn run` shows.
struct RunReport {
  bool finished = false;
  std::string call;      // what was run: "main()", "the file", "cook()"
  std::string time;      // virtual seconds, formatted
  std::string tasks;     // tasks created
  std::string values;    // the results, formatted
  std::string error;     // message and traceback, or empty
  std::string warnings;  // the runtime's warnings, as it printed them
  std::string output;    // what it printed on stdout (all of it)
  std::string timeline;  // the chart of the run (recorder.h), or empty
  int line = 0;
  std::vector<RunTimeline> timelines;  // Job::timeline: one per asyncio.run
  Observed seen;         // stderr and the diagnostics
};

struct ExerciseResult {
  const Exercise* ex = nullptr;
  size_t index = 0;     // its job's position in what Runner::run was given
  std::string file;     // the learner's file as shown ("exercises/01-x/kitchen.lua")
  std::vector<CheckResult> checks;
  std::string problem;  // the checks could not run at all (missing file, not UTF-8, broken checks)
  double seconds = 0;   // real time spent
  RunReport run;        // Mode::Run only

  bool passed() const;
  double earned() const;
  double max_points() const;
  size_t failed_count() const;
};

struct Job {
  Exercise* ex = nullptr;
  // Jobs of the same group (one learner's exercises) may run one after
  // another in the same sandbox child (Runner's `batch`).
  size_t group = 0;
  std::string path;     // the file to read
  std::string display;  // its name in messages (the chunk name); default: path
  Mode mode = Mode::Check;
  bool has_source = false;  // use `source` instead of reading `path`
  std::string source;
  bool stream = false;    // Mode::Run: output reaches RunEvents::output as it is printed
  bool timeline = false;  // Mode::Run: every asyncio.run is recorded (RunReport::timelines)
  int width = 0;          // Mode::Run: the text chart's width (0: none; RunReport::timeline)
  bool color = false;
};

// What a run sends while it goes on (`luasync tour` shows it at once): the
// job's index in what Runner::run was given, and the piece.
struct RunEvents {
  std::function<void(size_t job, const std::string& output)> output;
  std::function<void(size_t job, const RunTimeline& timeline)> timeline;
};

class Runner {
 public:
  // `jobs` sandbox children at a time; each runs up to `batch` jobs of one
  // group one after another (a fork per exercise costs about as much as a
  // short exercise's checks).
  Runner(Engine& engine, const Limits& limits, int jobs, int batch = 1)
      : engine_(engine), limits_(limits), jobs_(jobs), batch_(std::max(1, batch)) {}

  // Runs every job; `progress` is called in the parent as each one completes.
  std::vector<ExerciseResult> run(std::vector<Job>& jobs,
                                  const std::function<void(const ExerciseResult&, size_t done, size_t total)>&
                                      progress = nullptr);

  const Limits& limits() const { return limits_; }
  // Called from run() as the pieces of Mode::Run jobs arrive.
  void set_run_events(RunEvents ev) { events_ = std::move(ev); }
  int jobs() const { return jobs_; }
  // File descriptors the sandbox children close first thing (the grader's
  // worker pipes: learner code must hold nothing of the grader's).
  void close_in_children(std::vector<int> fds) { close_in_children_ = std::move(fds); }

 private:
  Engine& engine_;
  Limits limits_;
  int jobs_;
  int batch_;
  bool aged_ = false;  // the engine state has been collected once
  std::vector<int> close_in_children_;
  RunEvents events_;
};

// One exercise, checked or run (job.mode), in a sandbox child: the result
// to render with format_result / format_run, or result_json / run_json
// (result.h). The library entry point for front-ends.
ExerciseResult run_one(Engine& engine, const Limits& limits, Job job);

// Reads a learner's file: false with a kind message if it is missing, too
// big, or not UTF-8.
bool read_learner_file(const std::string& path, const std::string& display, std::string* source,
                       std::string* problem);

// The message for a check stopped by a limit.
std::string limit_message(const std::string& kind, const Limits& limits, int signal = 0);

// Number of CPUs (at least 1).
int cpu_count();

}  // namespace luasync::learn
