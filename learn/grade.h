// grade.h: `luasync grade`, automated grading for instructors (docs/grading.md).
//
// A grade run finds the submissions (learn workspaces, directories of
// exercise files, or directories of those), checks every exercise of every
// submission with the same engine and the same checks `luasync learn check`
// runs, and writes a report (human, json, junit, gradescope, prairielearn).
//
// The pieces:
//   grade.cpp         the command line, finding submissions, shards, merge
//   grade_pool.cpp    the worker processes and the result cache
//   grade_report.cpp  the report formats, and reading JSON reports back
//
// Determinism: a report is a pure function of the submissions, the lessons
// and the limits, except for its timing fields (`--no-timing` leaves them
// out). Submissions are sorted by path, exercises are in lesson order, checks
// in check-file order, and messages are normalized where the sandbox would
// put something run-specific in them (addresses, temporary directories).
#pragma once

#include <string>
#include <vector>

#include "catalog.h"
#include "runner.h"

namespace luasync::learn {

struct GradedCheck {
  std::string name;
  double points = 0;    // what it is worth
  bool passed = false;
  std::string message;  // why it failed
  int line = 0;         // the learner's line it points at, or 0
  std::string limit;    // the limit that stopped it, or ""
};

struct GradedExercise {
  std::string name, title, lesson;
  std::string file;     // the file inside the submission ("exercises/01-why-async/kitchen.lua")
  bool missing = false;
  std::string reason;   // why the checks could not run (missing, not UTF-8...), or ""
  std::vector<GradedCheck> checks;
  double seconds = 0;   // real time in the sandbox (0 when the result was shared)

  double score() const;
  double max_score() const;
  bool passed() const;
  // "passed", "failed" or "missing".
  const char* status() const;
};

struct GradedSubmission {
  std::string path;     // as found: "subs/alice"
  std::string layout;   // "workspace", "flat" or "empty"
  std::vector<GradedExercise> exercises;
  double seconds = 0;   // sum of its exercises' seconds

  double score() const;
  double max_score() const;
  size_t passed_count() const;
};

struct GradeReport {
  std::string lessons;  // the catalog's origin ("built in" or a directory)
  int shard_index = 0, shard_count = 0;  // 0: not a shard
  bool timing = true;   // include the timing fields
  double seconds = 0;   // wall-clock time of the run
  std::vector<GradedSubmission> submissions;
};

enum class Format { Human, Json, Junit, Gradescope, Prairielearn };

// The report in a format, as the bytes to write. `color` only for Human on
// a terminal; `verbose` lists passing checks too (Human).
std::string format_report(const GradeReport& report, Format format, bool color, bool verbose);

// Reads a report written with --format json. False with a message on error.
bool read_json_report(const std::string& path, GradeReport* report, std::string* err);

// What a worker sends back for one exercise (grade_pool.cpp).
struct PoolJob {
  size_t id = 0;        // the caller's
  Exercise* ex = nullptr;
  std::string display;  // the file's name in messages
  std::string source;   // already read and checked (read_learner_file)
  size_t group = 0;     // the submission: its jobs may share a sandbox child
};

// The worker processes: `jobs` of them, each forked from the engine state
// (every check file loaded), each running two sandbox children at a time
// (grade_pool.cpp says why). A lost worker (killed from outside) is replaced
// and its exercises given to the new one once.
class GradePool {
 public:
  GradePool(Engine& engine, const Limits& limits, int jobs);
  ~GradePool();
  GradePool(const GradePool&) = delete;
  GradePool& operator=(const GradePool&) = delete;

  // Starts the workers; false with a message on failure.
  bool start(std::string* err);
  // True when a worker can take another job.
  bool idle() const;
  // Hands a job to the least busy worker (call only when idle()).
  void submit(PoolJob job);
  // Jobs handed out and not finished yet.
  size_t busy() const;
  // Hands out the jobs submitted so far, then waits (at most timeout_ms;
  // -1: until something happens) for finished jobs and returns them: the
  // id and the result.
  std::vector<std::pair<size_t, ExerciseResult>> wait(int timeout_ms);

 private:
  struct Worker;
  bool spawn(Worker& w, std::string* err);
  void send(Worker& w, PoolJob job, int attempts);
  void flush();
  void renew_deadline(Worker& w);
  void lost(Worker& w, const std::string& why, std::vector<std::pair<size_t, ExerciseResult>>* out);

  Engine& engine_;
  Limits limits_;
  int jobs_;
  std::vector<Worker*> workers_;
};

// Makes the message of a check run-independent and bounded: addresses
// ("table: 0x55d0c4a1b2c0") and temporary directories replaced, invalid
// UTF-8 repaired, at most a few kilobytes.
std::string normalize_message(const std::string& msg);

// `luasync grade ...` (argv[0] is "grade"); returns the exit status.
int grade_main(int argc, char** argv);

}  // namespace luasync::learn
