// cli.cpp: the `luasync learn` subcommands (see kLearnUsage).
#include "cli.h"
#include "embedded.h"

#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

namespace luasync::learn {

namespace {

const char* kLearnUsage =
    "usage: luasync learn [options] [COMMAND]\n"
    "\n"
    "Lessons on async programming, with exercises luasync checks for you.\n"
    "\n"
    "commands:\n"
    "  init [DIR]          make a workspace (default DIR: ./luasync-learn) with every\n"
    "                      exercise's starter file and a progress file\n"
    "  (none), watch [EXERCISE]\n"
    "                      watch mode: shows the exercise (default: the current one)\n"
    "                      and checks it each time you save it; keys: h hint, n next,\n"
    "                      p previous, l list, r reset, c check, q quit\n"
    "  list                lessons and exercises, with your progress\n"
    "  show LESSON         read a lesson (its number or directory name); `show python`:\n"
    "                      asyncio and luasync side by side\n"
    "  run [EXERCISE]      run your exercise (its main, or what the first check calls)\n"
    "                      on the virtual clock: its output, results and timeline\n"
    "  check [EXERCISE]    check an exercise (default: the current one);\n"
    "                      exit status 0 iff every check passes\n"
    "  check --all         check every exercise\n"
    "  hint EXERCISE       the next hint (they go from gentle to specific)\n"
    "  reset EXERCISE      start an exercise over (every earlier version is kept in\n"
    "                      .luasync-backup/)\n"
    "  restore EXERCISE [N]  bring back the version reset kept (the newest, or N\n"
    "                      of `restore EXERCISE --list`)\n"
    "  selfcheck           for lesson authors: every exercise fails as shipped, every\n"
    "                      solution passes, every example prints its .out file\n"
    "\n"
    "options:\n"
    "  -C DIR              the workspace (default: the current directory or a parent\n"
    "                      with a .luasync-progress file)\n"
    "  --lessons DIR       use the lessons in DIR instead of the built-in ones\n"
    "                      (also $LUASYNC_LESSONS)\n"
    "  --file PATH         check or run PATH instead of the workspace's file\n"
    "  --jobs N            check N exercises at a time (default: the number of CPUs)\n"
    "  --time-limit S      CPU seconds each check may take (default 5; real time: 3 S + 5)\n"
    "  -v, --verbose       show every check with your output, also the ones that pass\n"
    "  -h, --help          this help\n"
    "\n"
    "See docs/learn.md.\n";

struct Options {
  std::string workspace;
  bool has_workspace = false;
  std::string lessons = lessons_dir_from_env();
  std::string file;
  int jobs = cpu_count();
  double time_limit = 5.0;
  bool all = false;
  bool verbose = false;
  bool list = false;  // restore --list
  std::vector<std::string> args;  // command and its operands
};

// A path under the workspace, relative to its root ("exercises/...").
std::string relative_to(const Workspace& ws, const std::string& path) {
  const std::string& root = ws.root();
  if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/')
    return path.substr(root.size() + 1);
  return path;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "luasync learn: %s\n(run `luasync learn --help` for usage)\n", msg.c_str());
  return 2;
}

int fail_msg(const std::string& msg) {
  std::fprintf(stderr, "luasync learn: %s\n", msg.c_str());
  return 1;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

}  // namespace

// ---------------------------------------------------------------- shared

bool record_result(Workspace& ws, const ExerciseResult& r, std::string* err) {
  if (!r.problem.empty() && r.checks.empty()) return true;  // nothing was checked
  return ws.record_check(r.ex->name, r.passed(), err);
}

Exercise* advance_after_pass(Workspace& ws, Catalog& cat, const ExerciseResult& r, std::string* err) {
  Exercise* next = nullptr;
  std::string ignored;
  ws.update(
      [&](Progress& p) {
        next = next_exercise(cat, p, r.ex);
        if (p.current == r.ex->name || p.current.empty()) p.current = next ? next->name : r.ex->name;
      },
      err ? err : &ignored);
  return next;
}

Exercise* next_exercise(Catalog& cat, const Progress& p, const Exercise* ex) {
  size_t n = cat.exercises.size();
  size_t start = 0;
  for (size_t i = 0; i < n; i++)
    if (&cat.exercises[i] == ex) start = i + 1;
  for (size_t k = 0; k < n; k++) {
    Exercise& e = cat.exercises[(start + k) % n];
    if (&e != ex && !p.is_done(e.name)) return &e;
  }
  return nullptr;
}

Exercise* previous_exercise(Catalog& cat, const Exercise* ex) {
  for (size_t i = 1; i < cat.exercises.size(); i++)
    if (&cat.exercises[i] == ex) return &cat.exercises[i - 1];
  return nullptr;
}

std::string next_hint(Workspace* ws, const Exercise& ex, const Term& term) {
  if (ex.hints.empty()) return "There are no hints for " + ex.name + ". The lesson text may help.\n";
  int total = static_cast<int>(ex.hints.size());
  int shown = 0, n = 1;
  std::string save_error;
  auto pick = [&](const Progress& p) {
    shown = p.hints(ex.name);
    n = std::min(shown + 1, total);
  };
  if (ws) {
    // Counted under the lock, from the file: hints asked for elsewhere count.
    if (!ws->update(
            [&](Progress& p) {
              pick(p);
              p.hints_shown[ex.name] = n;
            },
            &save_error))
      pick(ws->progress());
  }
  std::string out = term.bold("Hint " + std::to_string(n) + " of " + std::to_string(total) + " for " + ex.name +
                              ":") + "\n" + indent(ex.hints[static_cast<size_t>(n) - 1], "  ");
  if (n == total && shown >= n)
    out += term.dim("  (That was the last hint. The lesson text may help too.)") + "\n";
  else if (n < total)
    out += term.dim("  (Ask again for a more specific one.)") + "\n";
  if (!save_error.empty()) out += "luasync learn: " + save_error + "\n";
  return out;
}

// ---------------------------------------------------------------- commands

namespace {

struct Ctx {
  Options opt;
  Term term;
  Engine engine;
  Workspace ws;
  bool has_ws = false;
  Limits limits;
};

bool need_workspace(Ctx& c) {
  if (c.has_ws) return true;
  std::fprintf(stderr,
               "luasync learn: %s is not in a learn workspace (no .luasync-progress here or above).\n"
               "Make one with `luasync learn init`, or point at one with -C DIR.\n",
               c.opt.has_workspace ? c.opt.workspace.c_str() : "this directory");
  return false;
}

Exercise* need_exercise(Ctx& c, const std::string& name) {
  Exercise* ex = c.engine.catalog().find_exercise(name);
  if (!ex) {
    std::string names;
    for (const auto& e : c.engine.catalog().exercises) {
      if (e.name.find(name) != std::string::npos || name.find(e.name) != std::string::npos)
        names += (names.empty() ? "" : ", ") + e.name;
    }
    std::fprintf(stderr, "luasync learn: there is no exercise '%s'%s%s%s (`luasync learn list` shows them all)\n",
                 name.c_str(), names.empty() ? "" : "; did you mean ", names.c_str(), names.empty() ? "" : "?");
  }
  return ex;
}

Job make_job(Ctx& c, Exercise* ex, Mode mode) {
  Job j;
  j.ex = ex;
  j.mode = mode;
  if (!c.opt.file.empty()) {
    j.path = c.opt.file;
    j.display = c.opt.file;
  } else {
    j.path = c.ws.path_of(*ex);
    j.display = ex->workspace_path();
  }
  return j;
}

int cmd_init(Ctx& c) {
  std::string dir = c.opt.args.size() > 1 ? c.opt.args[1] : (c.opt.has_workspace ? c.opt.workspace : "luasync-learn");
  std::string err;
  int created = 0, examples = 0;
  if (!init_workspace(dir, c.engine.catalog(), &err, &created, &examples)) return fail_msg(err);
  auto& cat = c.engine.catalog();
  std::printf("%s %s: %s with %s.\n", created ? "Made" : "Updated", dir.c_str(),
              plural(cat.lessons.size(), "lesson", "lessons").c_str(),
              plural(cat.exercises.size(), "exercise", "exercises").c_str());
  if (created) std::printf("Added %s.\n", plural(static_cast<size_t>(created), "exercise file", "exercise files").c_str());
  if (examples)
    std::printf("Added %s (the programs the lessons run, under examples/).\n",
                plural(static_cast<size_t>(examples), "example", "examples").c_str());
  // The first lesson by its number ("00-lua-basics": show 0).
  std::string first = cat.lessons.empty() ? "1" : cat.lessons[0].dir.substr(0, cat.lessons[0].dir.find('-'));
  while (first.size() > 1 && first[0] == '0') first.erase(0, 1);
  std::printf("\nNext:\n  cd %s\n  luasync learn show %-6s read the first lesson\n"
              "  luasync learn            start watch mode: edit the exercise, save, see the checks\n",
              dir.c_str(), first.c_str());
  return 0;
}

int cmd_list(Ctx& c) {
  auto& cat = c.engine.catalog();
  const Term& t = c.term;
  size_t done = 0;
  Exercise* cur = c.has_ws ? c.ws.current(cat) : nullptr;
  std::string out;
  for (size_t li = 0; li < cat.lessons.size(); li++) {
    const Lesson& l = cat.lessons[li];
    out += t.bold(l.dir) + "  " + l.title + "\n";
    for (size_t xi : l.exercises) {
      const Exercise& e = cat.exercises[xi];
      bool is_done = c.has_ws && c.ws.progress().is_done(e.name);
      if (is_done) done++;
      std::string mark = is_done ? t.green(t.color ? "✓" : "x") : &e == cur ? t.yellow(">") : t.dim(t.color ? "·" : " ");
      std::string name = e.name;
      name.resize(std::max<size_t>(name.size(), 18), ' ');
      out += "   " + mark + " " + name + " " + e.title + (&e == cur ? t.yellow("  (current)") : "") + "\n";
    }
  }
  out += "\n";
  if (c.has_ws)
    out += "Progress " + progress_bar(done, cat.exercises.size(), 30, t) + " exercises done\n";
  else
    out += t.dim("(Not in a workspace: `luasync learn init` makes one.)") + "\n";
  page(out, t);
  return 0;
}

int cmd_show(Ctx& c) {
  if (c.opt.args.size() < 2) return usage_error("show needs a lesson: `luasync learn show 1`");
  if (c.opt.args[1] == "python") {  // docs/coming-from-python.md
    for (const EmbeddedChunk* g = embedded_guides(); g->name; g++) {
      if (std::strcmp(g->name, "coming-from-python.md") == 0) {
        page(render_markdown(std::string(g->code, g->size), c.term), c.term);
        return 0;
      }
    }
  }
  auto& cat = c.engine.catalog();
  const Lesson* l = cat.find_lesson(c.opt.args[1]);
  if (!l) {
    // An exercise name shows its lesson.
    if (Exercise* e = cat.find_exercise(c.opt.args[1])) l = &cat.lessons[e->lesson];
  }
  if (!l) return fail_msg("there is no lesson '" + c.opt.args[1] + "' (`luasync learn list` shows them all)");
  std::string out = render_markdown(l->text, c.term);
  if (!l->exercises.empty()) {
    out += "\n" + c.term.bold("Exercises") + "\n";
    for (size_t xi : l->exercises) {
      const Exercise& e = cat.exercises[xi];
      out += "  " + c.term.cyan(e.workspace_path()) + "  " + e.title + "\n";
    }
    out += "Check one with `luasync learn check NAME`, or run `luasync learn` to work in watch mode.\n";
  }
  if (!l->examples.empty()) {
    // The commands in the text name the example files alone: they run where
    // `learn init` put them.
    std::string dir = "examples/" + l->dir;
    out += "\n" + c.term.bold("Examples") + "\n";
    out += "  The programs of this lesson are in " + c.term.cyan(dir + "/") +
           " of your workspace: run the commands above from there (`cd " + dir + "`).\n";
  }
  page(out, c.term);
  return 0;
}

int cmd_check(Ctx& c) {
  auto& cat = c.engine.catalog();
  std::vector<Exercise*> list;
  if (c.opt.all) {
    if (!c.opt.file.empty()) return usage_error("--file checks one exercise, not --all");
    for (auto& e : cat.exercises) list.push_back(&e);
  } else if (c.opt.args.size() >= 2) {
    Exercise* e = need_exercise(c, c.opt.args[1]);
    if (!e) return 2;
    list.push_back(e);
  } else {
    if (!need_workspace(c)) return 2;
    Exercise* e = c.ws.current(cat);
    if (!e) return fail_msg("there are no exercises");
    list.push_back(e);
  }
  if (c.opt.file.empty() && !need_workspace(c)) return 2;
  std::vector<Job> jobs;
  for (Exercise* e : list) jobs.push_back(make_job(c, e, Mode::Check));
  // All of one learner's files: up to four exercises per sandbox child.
  Runner runner(c.engine, c.limits, c.opt.jobs, 4);
  uint64_t t0 = uv_hrtime();
  bool single = list.size() == 1;
  auto results = runner.run(jobs, [&](const ExerciseResult& r, size_t done, size_t total) {
    if (c.term.tty && !single) {
      std::printf("\r%s checking...", progress_bar(done, total, 30, c.term).c_str());
      std::fflush(stdout);
    }
  });
  if (c.term.tty && !single) std::printf("\r\x1b[2K");
  double secs = static_cast<double>(uv_hrtime() - t0) / 1e9;
  size_t passed = 0;
  for (auto& r : results) {
    if (r.passed()) passed++;
    if (single || c.opt.verbose) {
      std::fputs(format_result(r, c.term, c.opt.verbose).c_str(), stdout);
    } else {
      // --all: one line each, with the first reason for a failure.
      if (r.passed()) {
        std::printf("%s %s\n", c.term.green(c.term.color ? "✓" : "PASS").c_str(), r.ex->name.c_str());
        if (std::getenv("LUASYNC_LEARN_DEBUG")) std::printf("    (%.3f s)\n", r.seconds);
      } else {
        std::string why = r.problem;
        if (why.empty())
          for (const auto& ch : r.checks)
            if (ch.status != CheckResult::Pass) {
              why = ch.name + ": " + ch.message.substr(0, ch.message.find('\n'));
              break;
            }
        if (why.size() > 110) why = why.substr(0, 107) + "...";
        std::printf("%s %s  %s\n", c.term.red(c.term.color ? "✗" : "FAIL").c_str(), r.ex->name.c_str(),
                    c.term.dim(why).c_str());
      }
    }
  }
  if (c.opt.file.empty()) {
    // One update for all of them (under the lock, merged with the file).
    std::string err;
    bool saved = c.ws.update(
        [&](Progress& p) {
          for (const auto& r : results) {
            if (!r.problem.empty() && r.checks.empty()) continue;
            if (r.passed())
              p.done.insert(r.ex->name);
            else
              p.done.erase(r.ex->name);
          }
        },
        &err);
    if (!saved) std::fprintf(stderr, "luasync learn: your progress could not be saved: %s\n", err.c_str());
  }
  if (!single) {
    std::printf("\n%s of %s pass (%.2f s)\n", std::to_string(passed).c_str(),
                plural(results.size(), "exercise", "exercises").c_str(), secs);
    if (passed < results.size()) std::printf("Details: `luasync learn check NAME`.\n");
  } else if (results[0].passed() && c.opt.file.empty()) {
    Exercise* next = advance_after_pass(c.ws, cat, results[0]);
    if (next)
      std::printf("Next: %s (%s)\n", next->name.c_str(), next->workspace_path().c_str());
    else
      std::printf("%s\n", c.term.green("That was the last one: every exercise passes. Well done!").c_str());
  }
  return passed == results.size() ? 0 : 1;
}

int cmd_run(Ctx& c) {
  Exercise* e = nullptr;
  if (c.opt.args.size() >= 2) {
    e = need_exercise(c, c.opt.args[1]);
    if (!e) return 2;
  }
  if (c.opt.file.empty() && !need_workspace(c)) return 2;
  if (!e) e = c.ws.current(c.engine.catalog());
  if (!e) return fail_msg("there are no exercises");
  Job job = make_job(c, e, Mode::Run);
  job.width = c.term.tty ? c.term.width : 80;
  job.color = c.term.color;
  ExerciseResult r = run_one(c.engine, c.limits, job);
  if (!r.problem.empty()) return fail_msg(r.problem);
  std::fputs(format_run(r, c.term).c_str(), stdout);
  return r.problem.empty() && r.run.error.empty() ? 0 : 1;
}

int cmd_hint(Ctx& c) {
  auto& cat = c.engine.catalog();
  Exercise* e = nullptr;
  if (c.opt.args.size() >= 2) {
    e = need_exercise(c, c.opt.args[1]);
    if (!e) return 2;
  } else {
    if (!need_workspace(c)) return 2;
    e = c.ws.current(cat);
  }
  std::fputs(next_hint(c.has_ws ? &c.ws : nullptr, *e, c.term).c_str(), stdout);
  return 0;
}

int cmd_reset(Ctx& c) {
  if (c.opt.args.size() < 2) return usage_error("reset needs an exercise: `luasync learn reset kitchen`");
  Exercise* e = need_exercise(c, c.opt.args[1]);
  if (!e) return 2;
  if (!need_workspace(c)) return 2;
  std::string backup, err;
  if (!reset_exercise(c.ws, *e, &backup, &err)) return fail_msg(err);
  if (!c.ws.update([&](Progress& p) { p.done.erase(e->name); }, &err)) return fail_msg(err);
  std::printf("%s is the starter file again.\n", e->workspace_path().c_str());
  if (!backup.empty())
    std::printf("Your version is kept in %s (`luasync learn restore %s` brings it back).\n",
                relative_to(c.ws, backup).c_str(), e->name.c_str());
  return 0;
}

// restore NAME [VERSION | --list]: the versions reset kept, newest first.
int cmd_restore(Ctx& c) {
  if (c.opt.args.size() < 2) return usage_error("restore needs an exercise: `luasync learn restore kitchen`");
  Exercise* e = need_exercise(c, c.opt.args[1]);
  if (!e) return 2;
  if (!need_workspace(c)) return 2;
  auto backups = list_backups(c.ws, *e);
  if (backups.empty()) return fail_msg("there is no earlier version of " + e->name + " (reset keeps one each time)");
  auto show_list = [&] {
    std::string out = "Kept versions of " + e->name + ", newest first:\n";
    for (size_t i = 0; i < backups.size(); i++)
      out += "  " + std::to_string(i + 1) + "  " + backups[i].label + "  " + c.term.dim(relative_to(c.ws, backups[i].path)) + "\n";
    out += "Restore one with `luasync learn restore " + e->name + " N`.\n";
    return out;
  };
  if (c.opt.list) {
    std::fputs(show_list().c_str(), stdout);
    return 0;
  }
  size_t pick = 0;
  if (c.opt.args.size() >= 3) {
    const std::string& v = c.opt.args[2];
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 1 || static_cast<size_t>(n) > backups.size()) {
      std::fputs(show_list().c_str(), stderr);
      return usage_error("there is no version " + v + " of " + e->name);
    }
    pick = static_cast<size_t>(n) - 1;
  }
  std::string backup, err;
  if (!restore_exercise(c.ws, *e, backups[pick], &backup, &err)) return fail_msg(err);
  std::printf("%s is your version of %s again.\n", e->workspace_path().c_str(), backups[pick].label.c_str());
  if (!backup.empty())
    std::printf("The file it replaced is kept in %s.\n", relative_to(c.ws, backup).c_str());
  if (backups.size() > 1)
    std::printf("%s\n", c.term.dim("(" + std::to_string(backups.size()) + " versions are kept: `luasync learn restore " +
                                    e->name + " --list`)").c_str());
  return 0;
}

}  // namespace

// `luasync learn exec [--time-limit S] -e CODE [args...]` (see sandbox_exec;
// exercises pass their check's time limit).
static int exec_main(int argc, char** argv) {
  Limits limits;
  int i = 1;
  if (i + 1 < argc && std::strcmp(argv[i], "--time-limit") == 0) {
    double s = std::atof(argv[i + 1]);
    if (s <= 0) return usage_error("option '--time-limit' needs a number of seconds");
    limits.cpu_seconds = s;
    i += 2;
  }
  if (argc < i + 2 || std::strcmp(argv[i], "-e") != 0) return usage_error("exec needs -e CODE");
  Engine engine;
  std::string err;
  if (!engine.open_bare(&err)) return fail_msg(err);
  std::vector<std::string> args(argv + i + 2, argv + argc);
  return sandbox_exec(engine, argv[i + 1], args, limits);
}

int learn_main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "exec") == 0) return exec_main(argc - 1, argv + 1);
  Ctx c;
  Options& o = c.opt;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)what;
      return argv[++i];
    };
    if (a == "-h" || a == "--help" || a == "help") {
      std::fputs(kLearnUsage, stdout);
      return 0;
    } else if (a == "-C" || a == "--workspace") {
      const char* v = value("DIR");
      if (!v) return usage_error("option '" + a + "' needs a directory");
      o.workspace = v;
      o.has_workspace = true;
    } else if (a == "--lessons") {
      const char* v = value("DIR");
      if (!v) return usage_error("option '--lessons' needs a directory");
      o.lessons = v;
    } else if (a == "--file") {
      const char* v = value("PATH");
      if (!v) return usage_error("option '--file' needs a path");
      o.file = v;
    } else if (a == "--jobs" || a == "-j") {
      const char* v = value("N");
      if (!v || std::atoi(v) < 1) return usage_error("option '" + a + "' needs a number of jobs (1 or more)");
      o.jobs = std::atoi(v);
    } else if (a == "--time-limit") {
      const char* v = value("S");
      if (!v || std::atof(v) <= 0) return usage_error("option '--time-limit' needs a number of seconds");
      o.time_limit = std::atof(v);
    } else if (a == "--all") {
      o.all = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unrecognized option '" + a + "'");
    } else {
      o.args.push_back(a);
    }
  }
  std::string cmd = o.args.empty() ? "watch" : o.args[0];
  static const char* kCommands[] = {"watch", "init", "list", "show", "run", "check", "hint", "reset", "restore", "selfcheck"};
  bool known = false;
  for (const char* k : kCommands) known = known || cmd == k;
  if (!known) return usage_error("unknown command '" + cmd + "'");
  if (o.all && cmd != "check") return usage_error("--all goes with `check`");
  if (o.list && cmd != "restore") return usage_error("--list goes with `restore`");

  c.term = Term::detect();
  c.limits.cpu_seconds = o.time_limit;
  std::string err;
  if (!c.engine.open(o.lessons, &err)) return fail_msg(err);
  if (cmd != "init" && cmd != "selfcheck") {
    c.has_ws = c.ws.find(o.has_workspace ? o.workspace : ".");
    if (c.has_ws && !c.ws.load(&err)) return fail_msg(err);
  }
  if (cmd == "init") return cmd_init(c);
  if (cmd == "list") return cmd_list(c);
  if (cmd == "show") return cmd_show(c);
  if (cmd == "check") return cmd_check(c);
  if (cmd == "run") return cmd_run(c);
  if (cmd == "hint") return cmd_hint(c);
  if (cmd == "reset") return cmd_reset(c);
  if (cmd == "restore") return cmd_restore(c);
  Runner runner(c.engine, c.limits, o.jobs);
  if (cmd == "selfcheck") return selfcheck_main(c.engine, runner, c.term, o.verbose);
  if (!need_workspace(c)) return 2;
  Exercise* start = nullptr;
  if (c.opt.args.size() >= 2) {
    start = need_exercise(c, c.opt.args[1]);
    if (!start) return 2;
  }
  return watch_main(c.engine, c.ws, runner, c.term, start);
}

}  // namespace luasync::learn
