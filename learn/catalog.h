// catalog.h: the lessons (texts, examples, exercises, hints, checks) and the
// engine state the sandbox children fork from.
//
// Lessons ship inside the binary (embedded from lessons/ at build time); a
// lesson author can point the engine at a directory instead (--lessons DIR
// or LUASYNC_LESSONS). The layout is docs/lesson-format.md.
//
// The Engine owns one trusted Lua state: the standard libraries, asyncio,
// the checker (learn/lua/checker.lua) and, once loaded, the check files. It
// never runs learner code itself: each check run forks a child from it (see
// sandbox.h), so a child starts with everything compiled and pays only for
// fork().
#pragma once

#include <lua.hpp>

#include <map>
#include <string>
#include <vector>

namespace luasync::learn {

struct Grants {
  bool http = false;        // require("asyncio.http"), network streams
  bool fs = false;          // require("asyncio.fs") inside a private WORKDIR
  bool subprocess = false;  // asyncio.create_subprocess_exec
  // Programs besides luasync that the subprocess grant may start: the
  // names in the metadata and the absolute paths they were found at.
  std::vector<std::pair<std::string, std::string>> programs;
};

struct CheckInfo {
  std::string name;
  double points = 1;
};

// A solution the self-check tries besides the reference (lesson-format.md):
// lessons/<lesson>/wrong/<exercise>/<what>.lua must fail the checks its
// `-- Fails: CHECK NAME` lines name; lessons/<lesson>/solutions/<exercise>/
// <what>.lua are other correct solutions, which must pass.
struct Variant {
  std::string path;  // under lessons/: "01-why-async/wrong/kitchen/sequential.lua"
  std::string code;
  std::string what;  // its first comment line ("-- Wrong: ...") without the dashes
  std::vector<std::string> fails;  // the checks it must fail (wrong ones)
};

struct Exercise {
  std::string name;       // unique across lessons: "kitchen"
  std::string title;
  size_t lesson = 0;      // index into Catalog::lessons
  std::string lesson_dir; // "01-why-async"
  std::vector<std::string> hints;
  Grants grants;
  std::string starter;    // exercises/NAME.lua
  std::string solution;   // solutions/NAME.lua
  std::string checks_src; // checks/NAME.lua
  bool has_starter = false, has_solution = false, has_checks = false;
  std::vector<Variant> wrong;   // plausible wrong solutions (the self-check)
  std::vector<Variant> right;   // correct solutions other than the reference
  // Filled by Engine::load_checks.
  bool checks_loaded = false;
  std::vector<CheckInfo> checks;
  std::string problem;    // why its checks cannot run, or empty

  // Where the learner's copy lives in a workspace.
  std::string workspace_path() const { return "exercises/" + lesson_dir + "/" + name + ".lua"; }
  double max_points() const {
    double p = 0;
    for (const auto& c : checks) p += c.points;
    return p;
  }
};

struct Example {
  std::string name;      // "kitchen_demo"
  std::string path;      // "01-why-async/examples/kitchen_demo.lua"
  std::string code;
  std::string expected;  // the .out file
  bool has_expected = false;
};

struct Lesson {
  std::string dir;  // "01-why-async"
  std::string title, summary;
  std::string text;  // lesson.md
  std::vector<size_t> exercises;  // indices into Catalog::exercises
  std::vector<Example> examples;
};

struct Catalog {
  std::string origin;  // "built in" or the directory
  std::vector<Lesson> lessons;
  std::vector<Exercise> exercises;
  std::vector<std::string> problems;  // metadata errors found while loading

  Exercise* find_exercise(const std::string& name);
  // By directory ("01-why-async"), number ("1", "01"), or name without the
  // number ("why-async").
  const Lesson* find_lesson(const std::string& key) const;
};

class Engine {
 public:
  Engine() = default;
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads the catalog ("" = the lessons built into the binary) and creates
  // the engine state. On failure returns false with a message in *err.
  bool open(const std::string& lessons_dir, std::string* err);
  // Only the engine state, no lessons (for `learn exec`).
  bool open_bare(std::string* err) { return create_state(err); }

  Catalog& catalog() { return catalog_; }
  lua_State* state() const { return L_; }

  // Compiles and runs the exercise's check file in the engine state (once),
  // validates it and fills ex.checks; on a problem sets ex.problem.
  void load_checks(Exercise& ex);
  // Pushes the check array of a loaded exercise (nil if it has a problem).
  void push_checks(const Exercise& ex);
  // Pushes the checker module (the table checker.lua returned).
  void push_checker();

 private:
  bool load_files(const std::string& dir, std::string* err);
  bool build_catalog(std::string* err);
  bool create_state(std::string* err);

  Catalog catalog_;
  std::map<std::string, std::string> files_;  // path under lessons/ -> contents
  lua_State* L_ = nullptr;
  int checker_ref_ = LUA_NOREF;
  int checks_ref_ = LUA_NOREF;  // table: exercise name -> check array
};

// The lessons directory the user asked for: --lessons, else $LUASYNC_LESSONS,
// else "" (built in).
std::string lessons_dir_from_env();

}  // namespace luasync::learn
