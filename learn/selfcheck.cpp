// selfcheck.cpp: `luasync learn selfcheck`, the lesson authors' check (as
// rustlings' dev check): every exercise has a TODO, a hint and loadable
// checks; every exercise fails its checks as shipped and every reference
// solution passes them; every wrong solution shipped (lessons/<lesson>/
// wrong/<exercise>/*.lua) fails the checks it names, and every other
// correct solution (solutions/<exercise>/*.lua) passes; every exercise
// ships at least three wrong solutions and one other correct one; `learn
// run` runs every reference solution; every example runs on the virtual
// clock and prints exactly its .out file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "asyncio_lib.h"
#include "cli.h"
#include "coro.h"
#include "loop_lib.h"
#include "runtime.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync::learn {

namespace {

// Runs an example as `luasync --virtual-time FILE` would, in a child
// process with stdout and stderr captured. Returns the exit status (or -1
// if it had to be killed after `seconds`).
int run_example(const Example& ex, double seconds, std::string* out, std::string* err) {
  int po[2], pe[2];
  if (pipe(po) != 0 || pipe(pe) != 0) return -2;
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(po[1], 1);
    dup2(pe[1], 2);
    close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::string tmp = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/luasync-example-XXXXXX");
    if (mkdtemp(tmp.data()) && chdir(tmp.c_str()) != 0) _exit(3);
    lua_State* L = luaL_newstate();
    if (L) install_panic_handler(L);  // trampoline.h
    luaL_openlibs(L);
    open_luasync_globals(L);
    runtime(L)->default_virtual = true;
    std::string chunk = "@lessons/" + ex.path;
    // `arg` as `luasync --virtual-time lessons/PATH` makes it.
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    lua_createtable(L, 0, 3);
    lua_pushstring(L, n > 0 ? exe : "luasync");
    lua_rawseti(L, -2, -2);
    lua_pushliteral(L, "--virtual-time");
    lua_rawseti(L, -2, -1);
    lua_pushstring(L, chunk.c_str() + 1);
    lua_rawseti(L, -2, 0);
    lua_setglobal(L, "arg");
    int rc = 0;
    if (luaL_loadbufferx(L, ex.code.data(), ex.code.size(), chunk.c_str(), "t") != LUA_OK) {
      std::fprintf(stderr, "luasync: %s\n", lua_tostring(L, -1));
      rc = 1;
    } else {
      push_traceback_handler(L);
      lua_insert(L, -2);
      if (lua_pcall(L, 0, 0, -2) != LUA_OK) {
        std::fflush(stdout);
        std::fprintf(stderr, "luasync: %s\n", traceback_of_last_error(L, -1).c_str());
        rc = 1;
      }
    }
    std::fflush(stdout);
    coro_flush_recent(L);
    lua_close(L);
    std::fflush(stdout);
    std::fflush(stderr);
    std::filesystem::remove_all(tmp);
    _exit(rc);
  }
  close(po[1]);
  close(pe[1]);
  uint64_t deadline = uv_hrtime() + static_cast<uint64_t>(seconds * 1e9);
  bool open_o = true, open_e = true, killed = false;
  while (open_o || open_e) {
    pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    uint64_t now = uv_hrtime();
    if (now > deadline && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    int n = poll(fds, 2, 100);
    if (n < 0 && errno != EINTR) break;
    char buf[65536];
    for (int i = 0; i < 2; i++) {
      bool& open = i == 0 ? open_o : open_e;
      if (!open || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0)
        (i == 0 ? out : err)->append(buf, static_cast<size_t>(got));
      else if (got == 0 || errno != EINTR)
        open = false;
    }
  }
  close(po[0]);
  close(pe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (killed) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The first line where a and b differ, for the message.
std::string first_difference(const std::string& want, const std::string& got) {
  size_t line = 1, i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) {
    if (want[i] == '\n') line++;
    i++;
  }
  auto line_at = [](const std::string& s, size_t pos) {
    size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    b = (b == std::string::npos || pos == 0) ? 0 : b + 1;
    size_t e = s.find('\n', b);
    return b >= s.size() ? std::string("(end of output)") : s.substr(b, e == std::string::npos ? e : e - b);
  };
  return "line " + std::to_string(line) + ": expected \"" + line_at(want, i) + "\", got \"" + line_at(got, i) + "\"";
}

}  // namespace

int selfcheck_main(Engine& engine, Runner& runner, const Term& term, bool verbose) {
  Catalog& cat = engine.catalog();
  std::vector<std::string> problems = cat.problems;
  auto problem = [&](const std::string& s) { problems.push_back(s); };

  // Static checks.
  std::vector<Job> starters, solutions;
  for (auto& ex : cat.exercises) {
    engine.load_checks(ex);
    std::string where = "lessons/" + ex.lesson_dir + "/";
    if (!ex.problem.empty()) problem(ex.name + ": " + ex.problem);
    if (ex.hints.empty()) problem(ex.name + ": no hints in " + where + "lesson.lua");
    if (ex.has_starter && ex.starter.find("TODO") == std::string::npos)
      problem(ex.name + ": " + where + "exercises/" + ex.name + ".lua has no `-- TODO:` marker");
    if (!ex.has_solution) problem(ex.name + ": " + where + "solutions/" + ex.name + ".lua is missing");
    if (!ex.problem.empty() || !ex.has_starter) continue;
    Job s;
    s.ex = &ex;
    s.has_source = true;
    s.source = ex.starter;
    s.display = where + "exercises/" + ex.name + ".lua";
    starters.push_back(s);
    if (ex.has_solution) {
      Job r = s;
      r.source = ex.solution;
      r.display = where + "solutions/" + ex.name + ".lua";
      solutions.push_back(r);
    }
  }

  // Every solution passes (timed: the figure `check --all` over solutions costs).
  uint64_t t0 = uv_hrtime();
  auto sol = runner.run(solutions);
  double sol_secs = static_cast<double>(uv_hrtime() - t0) / 1e9;
  for (auto& r : sol) {
    if (r.passed()) continue;
    problem(r.ex->name + ": the reference solution fails its checks:\n" + format_result(r, term, false));
  }
  // Then in one go (four exercises per sandbox child): every starter fails
  // (and not because it hangs or crashes); every wrong solution fails the
  // checks it names; every other correct solution passes; every reference
  // solution runs with `learn run`.
  enum Kind { Starter, Wrong, Right, Run };
  struct Tried {
    Kind kind;
    const Variant* v = nullptr;
  };
  std::vector<Job> jobs;
  std::vector<Tried> tried;
  size_t nwrong = 0, nright = 0;
  for (auto& j : starters) {
    jobs.push_back(j);
    tried.push_back({Starter});
  }
  for (auto& ex : cat.exercises) {
    if (!ex.problem.empty()) continue;
    std::string where = "lessons/" + ex.lesson_dir + "/";
    // Checks are only as good as the wrong code they catch: every exercise
    // ships at least three wrong solutions and another correct one.
    if (ex.wrong.size() < 3 || ex.right.empty())
      problem(ex.name + ": " + std::to_string(ex.wrong.size()) + " wrong solution(s) in " + where + "wrong/" +
              ex.name + "/ and " + std::to_string(ex.right.size()) + " other correct one(s) in " + where +
              "solutions/" + ex.name + "/; every exercise needs at least three and one");
    for (int kind = 0; kind < 2; kind++) {
      for (const auto& v : kind == 0 ? ex.wrong : ex.right) {
        Job j;
        j.ex = &ex;
        j.group = jobs.size();
        j.has_source = true;
        j.source = v.code;
        j.display = "lessons/" + v.path;
        jobs.push_back(j);
        tried.push_back({kind == 0 ? Wrong : Right, &v});
        (kind == 0 ? nwrong : nright)++;
      }
    }
    if (ex.has_solution) {
      Job j;
      j.ex = &ex;
      j.group = jobs.size();
      j.mode = Mode::Run;
      j.has_source = true;
      j.source = ex.solution;
      j.display = where + "solutions/" + ex.name + ".lua";
      jobs.push_back(j);
      tried.push_back({Run});
    }
  }
  // Groups of four consecutive jobs share a child.
  for (size_t i = 0; i < jobs.size(); i++) jobs[i].group = i / 4;
  Runner batched(engine, runner.limits(), runner.jobs(), 4);
  uint64_t t1 = uv_hrtime();
  auto results = batched.run(jobs);
  double var_secs = static_cast<double>(uv_hrtime() - t1) / 1e9;
  size_t caught = 0;
  for (size_t i = 0; i < results.size(); i++) {
    const ExerciseResult& r = results[i];
    const Tried& t = tried[i];
    const std::string& name = r.ex->name;
    auto limit_hit = [&](const std::string& what) {
      for (const auto& c : r.checks)
        if (c.limit == "crash" || c.limit == "time")
          problem(name + ": " + what + " makes a check hit a limit (" + c.name + "): " + c.message);
    };
    switch (t.kind) {
      case Starter:
        if (r.passed()) {
          problem(name + ": the starter file passes every check as shipped (nothing to do?)");
          break;
        }
        limit_hit("the starter file");
        if (verbose) std::fputs(format_result(r, term, false).c_str(), stdout);
        break;
      case Wrong: {
        std::string where = "lessons/" + t.v->path;
        if (t.v->fails.empty()) problem(where + ": no `-- Fails: CHECK NAME` line says which check must fail");
        if (!r.problem.empty()) {
          problem(where + ": the checks could not run: " + r.problem);
          break;
        }
        bool ok = !r.passed();
        for (const auto& f : t.v->fails) {
          const CheckResult* c = nullptr;
          for (const auto& ch : r.checks)
            if (ch.name == f) c = &ch;
          if (!c) {
            problem(where + ": it names a check '" + f + "' that " + name + " does not have");
            ok = false;
          } else if (c->status != CheckResult::Fail) {
            problem(where + ": passes the check '" + f + "' (" + t.v->what + ")");
            ok = false;
          }
        }
        if (r.passed()) problem(where + ": a wrong solution passes every check (" + t.v->what + ")");
        limit_hit(where);
        if (ok) caught++;
        if (verbose) std::fputs(("-- " + where + "\n" + format_result(r, term, false)).c_str(), stdout);
        break;
      }
      case Right:
        if (!r.passed())
          problem("lessons/" + t.v->path + ": a correct solution fails (" + t.v->what + "):\n" +
                  format_result(r, term, false));
        break;
      case Run:
        if (!r.problem.empty() || !r.run.error.empty() || r.run.call.empty())
          problem(name + ": `learn run` does not run the reference solution: " +
                  (r.problem.empty() ? r.run.error : r.problem));
        break;
    }
  }

  // Every example prints its .out file.
  size_t nexamples = 0;
  for (const auto& l : cat.lessons) {
    for (const auto& ex : l.examples) {
      nexamples++;
      std::string where = "lessons/" + ex.path;
      if (!ex.has_expected) {
        problem(where + ": no .out file with its expected output");
        continue;
      }
      std::string out, err;
      int rc = run_example(ex, 20.0, &out, &err);
      if (rc == -1) {
        problem(where + ": still running after 20 s (with --virtual-time)");
      } else if (rc != 0) {
        problem(where + ": exits with status " + std::to_string(rc) + (err.empty() ? "" : ":\n" + err));
      } else if (out != ex.expected) {
        problem(where + ": its output differs from " + ex.name + ".out, " + first_difference(ex.expected, out));
      } else if (verbose) {
        std::printf("ok   %s\n", where.c_str());
      }
    }
  }

  std::printf("%s, %s, %s (%s)\n", (std::to_string(cat.lessons.size()) + " lessons").c_str(),
              (std::to_string(cat.exercises.size()) + " exercises").c_str(),
              (std::to_string(nexamples) + " examples").c_str(), cat.origin.c_str());
  std::printf("reference solutions checked in %.2f s\n", sol_secs);
  std::printf("wrong solutions caught: %zu of %zu; other correct solutions: %zu (%.2f s with the starters and runs)\n",
              caught, nwrong, nright, var_secs);
  if (problems.empty()) {
    std::printf("%s\n", term.green("selfcheck: everything is in order").c_str());
    return 0;
  }
  for (const auto& p : problems) std::printf("%s %s\n", term.red("problem:").c_str(), p.c_str());
  std::printf("%s\n", term.red("selfcheck: " + std::to_string(problems.size()) + " problem(s)").c_str());
  return 1;
}

}  // namespace luasync::learn
