// runner.cpp: see runner.h.
#include "runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>

#include "confine.h"
#include "escape.h"
#include "modules.h"
#include "runtime.h"

namespace luasync::learn {

bool ExerciseResult::passed() const {
  if (!problem.empty() || checks.empty()) return false;
  for (const auto& c : checks)
    if (c.status != CheckResult::Pass) return false;
  return true;
}

double ExerciseResult::earned() const {
  double p = 0;
  for (const auto& c : checks)
    if (c.status == CheckResult::Pass) p += c.points;
  return p;
}

double ExerciseResult::max_points() const {
  double p = 0;
  for (const auto& c : checks) p += c.points;
  return p;
}

size_t ExerciseResult::failed_count() const {
  size_t n = 0;
  for (const auto& c : checks)
    if (c.status != CheckResult::Pass) n++;
  return n;
}

ExerciseResult run_one(Engine& engine, const Limits& limits, Job job) {
  std::vector<Job> jobs{std::move(job)};
  Runner runner(engine, limits, 1);
  return std::move(runner.run(jobs)[0]);
}

int cpu_count() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : static_cast<int>(n);
}

// ---------------------------------------------------------------- files

static constexpr size_t kMaxFile = 1u << 20;

// Position of the first byte that is not valid UTF-8, or npos.
static size_t bad_utf8(const std::string& s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    } else {
      return i;
    }
    if (i + len > n) return i;
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; k++) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string::npos;
}

bool read_learner_file(const std::string& path, const std::string& display, std::string* source,
                       std::string* problem) {
  // lstat, then open without following links and without blocking: a
  // grader reads untrusted submissions, where a link could show another
  // file's contents in the messages and a FIFO would block the read forever.
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      *problem = display + " does not exist";
    else
      *problem = "cannot read " + display + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISLNK(st.st_mode)) {
    *problem = display + " is a symbolic link: an exercise must be a regular file";
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *problem = display + " is a directory, not a Lua file";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *problem = display + " is not a regular file (a pipe, a socket or a device): an exercise must be a regular file";
    return false;
  }
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *problem = "cannot read " + display + ": " + std::strerror(fd < 0 ? errno : EINVAL);
    if (fd >= 0) close(fd);
    return false;
  }
  // Read at most kMaxFile + 1 bytes, growing the buffer as data comes (a
  // buffer of kMaxFile up front costs a megabyte of zeroed pages per file).
  std::string s;
  s.reserve(std::min<size_t>(static_cast<size_t>(st.st_size), kMaxFile) + 1);
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, kMaxFile + 1 - s.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *problem = "cannot read " + display + ": " + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    s.append(buf, static_cast<size_t>(n));
    if (s.size() > kMaxFile) break;
  }
  close(fd);
  if (s.size() > kMaxFile) {
    *problem = display + " is larger than 1 MB: that is not an exercise solution";
    return false;
  }
  if (s.size() >= 4 && s.compare(0, 4, "\x1bLua") == 0) {
    *problem = display + " is a compiled (binary) Lua chunk: exercises must be Lua source text";
    return false;
  }
  size_t bad = bad_utf8(s);
  if (bad != std::string::npos) {
    size_t line = 1 + static_cast<size_t>(std::count(s.begin(), s.begin() + static_cast<long>(bad), '\n'));
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(s[bad]));
    *problem = display + " is not valid UTF-8 text (byte " + hex + " on line " + std::to_string(line) +
               "): save it as UTF-8 in your editor";
    return false;
  }
  *source = std::move(s);
  return true;
}

std::string limit_message(const std::string& kind, const Limits& limits, int signal) {
  char buf[512];
  if (kind == "instructions") {
    std::snprintf(buf, sizeof buf,
                  "stopped: your code ran more than %.0f million Lua instructions in this check. "
                  "Is there a loop that never ends (a `while true` without a break, or tasks that keep "
                  "making tasks)?",
                  static_cast<double>(limits.instructions) / 1e6);
  } else if (kind == "memory") {
    std::snprintf(buf, sizeof buf,
                  "stopped: your code used more than %zu MB of memory in this check. Is there a table or "
                  "string that grows without end?",
                  limits.memory >> 20);
  } else if (kind == "output") {
    std::snprintf(buf, sizeof buf,
                  "stopped: your code printed more than %zu KB in this check. Is there a print inside a "
                  "loop that never ends?",
                  limits.output >> 10);
  } else if (kind == "time") {
    std::snprintf(buf, sizeof buf,
                  "stopped: this check took more than %g s of CPU time (or %g s of real time). Is there a "
                  "loop that never ends, or a wait that never finishes?",
                  limits.cpu_seconds, limits.wall_seconds());
  } else {
    const char* name = signal ? sigabbrev_np(signal) : nullptr;
    std::snprintf(buf, sizeof buf,
                  "the sandbox running your code died (%s%s%s). Whatever your code did, luasync should "
                  "have caught it: please report this",
                  signal ? "signal SIG" : "no result", name ? name : "", "");
  }
  return buf;
}

// Where the fs grant's private directories go: $TMPDIR if set; otherwise
// /dev/shm when it is a writable directory (a tmpfs: the grader makes and
// removes thousands of them, and creating files on a disk file system was a
// twentieth of the grading time), else /tmp.
static std::string workdir_base() {
  if (const char* t = std::getenv("TMPDIR"); t && *t) return t;
  struct stat st;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  return "/tmp";
}

// ---------------------------------------------------------------- the pool

namespace {

struct Slot {
  size_t job = 0;              // the job its child is running
  std::deque<size_t> rest;     // the jobs of its batch after that one
  pid_t pid = -1;
  int fd = -1;
  std::string buf;
  int current = -1;  // check being run
  uint64_t deadline = 0;     // the check's real-time backstop, plus a second
  uint64_t wait_seen = 0;    // the child's waits for a CPU credited so far (cpu_wait_ns)
  uint64_t credit = 0;       // of them, how much moved this check's deadline
  bool done = false;        // D record
  bool setup_error = false; // E record
  std::string limit;        // L record
  int limit_line = 0;
  bool killed = false;
};

struct Pending {
  size_t job;
  int first;
};

uint64_t now_ns() { return uv_hrtime(); }

// A record's fields. Everything in them may come from the learner's code
// (messages, what it printed): control characters are escaped here, once
// for every command that shows them (escape.h).
std::vector<std::string> split_record(const std::string& line) {
  std::vector<std::string> f;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    f.push_back(escape_controls(
        decode_field(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start))));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return f;
}

}  // namespace

std::vector<ExerciseResult> Runner::run(
    std::vector<Job>& jobs, const std::function<void(const ExerciseResult&, size_t, size_t)>& progress) {
  std::vector<ExerciseResult> results(jobs.size());
  std::vector<std::string> sources(jobs.size());
  std::vector<std::string> workdirs(jobs.size());
  std::vector<double> started(jobs.size(), 0);
  std::vector<int> open_segments(jobs.size(), 0);
  std::deque<Pending> pending;
  size_t completed = 0;
  if (!aged_) {
    // Before the first child is forked: the tables exercises share are
    // sealed (checker.lua: a child that checks several exercises restores
    // them before each), and one full collection makes everything loaded
    // so far old (sandbox.cpp, sandbox_new_state).
    lua_State* L = engine_.state();
    int top = lua_gettop(L);
    engine_.push_checker();
    if (lua_getfield(L, -1, "seal") == LUA_TFUNCTION && lua_pcall(L, 0, 2, 0) != LUA_OK)
      std::fprintf(stderr, "luasync: the lesson engine could not record its shared tables: %s\n",
                   safe_tostring(L, -1).c_str());  // a bug of ours: say so, and go on
    else if (std::getenv("LUASYNC_LEARN_DEBUG"))
      std::fprintf(stderr, "luasync: %lld shared tables and %lld upvalues sealed\n",
                   static_cast<long long>(lua_tointeger(L, -2)), static_cast<long long>(lua_tointeger(L, -1)));
    lua_settop(L, top);
    lua_gc(L, LUA_GCCOLLECT);
    aged_ = true;
  }

  auto finish = [&](size_t j) {
    ExerciseResult& r = results[j];
    r.seconds = static_cast<double>(now_ns()) / 1e9 - started[j];
    if (!workdirs[j].empty()) {
      std::error_code ec;
      std::filesystem::remove_all(workdirs[j], ec);
    }
    completed++;
    if (progress) progress(r, completed, jobs.size());
  };

  for (size_t j = 0; j < jobs.size(); j++) {
    Job& job = jobs[j];
    ExerciseResult& r = results[j];
    r.ex = job.ex;
    r.index = j;
    r.file = job.display.empty() ? job.path : job.display;
    started[j] = static_cast<double>(now_ns()) / 1e9;
    engine_.load_checks(*job.ex);
    if (job.ex->grants.http) {
      // Loaded here, once, rather than by each sandbox child; if it fails,
      // the child's require says why.
      std::string ignored;
      preload_http_plugin(&ignored);
    }
    if (job.mode == Mode::Check)
      for (const auto& c : job.ex->checks) r.checks.push_back({c.name, c.points, CheckResult::NotRun, "", 0, "", {}});
    if (!job.ex->problem.empty()) {
      r.problem = "the checks of " + job.ex->name + " cannot run: " + job.ex->problem;
      finish(j);
      continue;
    }
    if (job.has_source) {
      sources[j] = job.source;
    } else if (!read_learner_file(job.path, r.file, &sources[j], &r.problem)) {
      finish(j);
      continue;
    }
    if (job.ex->grants.fs) {
      std::string tmpl = workdir_base() + "/luasync-learn-XXXXXX";
      if (mkdtemp(tmpl.data())) workdirs[j] = tmpl;
    }
    pending.push_back({j, 0});
  }

  std::vector<Slot> slots;
  int max_slots = std::max(1, jobs_);

  // Starts a child on pending entry p and, if it begins at its first check,
  // on up to batch_ - 1 more fresh entries of the same group that follow it.
  auto start = [&](const Pending& p) {
    std::deque<size_t> rest;
    // A child is confined once, for the grants of its batch: only exercises
    // with the same grants share one (and an fs exercise, whose WORKDIR is
    // its own, never does). The others of the group stay queued, in order.
    const Grants& gr = jobs[p.job].ex->grants;
    auto same_grants = [&](const Grants& o) {
      return !gr.fs && !o.fs && o.http == gr.http && o.subprocess == gr.subprocess && o.programs == gr.programs;
    };
    if (p.first == 0) {
      for (auto it = pending.begin(); static_cast<int>(rest.size()) + 1 < batch_ && it != pending.end();) {
        if (it->first != 0 || jobs[it->job].group != jobs[p.job].group) break;
        if (!same_grants(jobs[it->job].ex->grants)) {
          ++it;
          continue;
        }
        rest.push_back(it->job);
        it = pending.erase(it);
      }
    }
    auto fail_start = [&](const std::string& why) {
      results[p.job].problem = why;
      for (auto it = rest.rbegin(); it != rest.rend(); ++it) pending.push_front({*it, 0});
      return false;
    };
    std::vector<SandboxJob> batch;
    for (size_t k = 0; k <= rest.size(); k++) {
      size_t j = k == 0 ? p.job : rest[k - 1];
      SandboxJob& sj = batch.emplace_back();
      sj.ex = jobs[j].ex;
      sj.chunkname = "@" + results[j].file;
      sj.workdir = workdirs[j];
      sj.mode = jobs[j].mode;
      sj.index = j;
      sj.stream = jobs[j].stream;
      sj.timeline = jobs[j].timeline;
      sj.width = jobs[j].width;
      sj.color = jobs[j].color;
    }
    confine_prepare(sandbox_confinement(batch, p.first, limits_));
    int parent = getpid();
    int fds[2];
    // Close-on-exec: subprocesses an exercise starts must not hold the pipe.
    if (pipe2(fds, O_CLOEXEC) != 0) return fail_start(std::string("cannot start the sandbox: ") + std::strerror(errno));
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      return fail_start(std::string("cannot start the sandbox: ") + std::strerror(errno));
    }
    if (pid == 0) {
      close(fds[0]);
      for (const Slot& s : slots) close(s.fd);
      for (int fd : close_in_children_) close(fd);
      for (SandboxJob& sj : batch) sj.source = sources[sj.index];
      sandbox_child(engine_, batch, p.first, limits_, fds[1], parent);
    }
    close(fds[1]);
    // Its own process group (the child makes it too: whichever comes
    // first), so that everything it starts is killed with it.
    setpgid(pid, pid);
    if (p.first == 0) started[p.job] = static_cast<double>(now_ns()) / 1e9;
    Slot s;
    s.job = p.job;
    s.rest = std::move(rest);
    s.pid = pid;
    s.fd = fds[0];
    s.current = p.first;
    s.deadline = now_ns() + static_cast<uint64_t>((limits_.wall_seconds() + 1.0) * 1e9);
    slots.push_back(std::move(s));
    open_segments[p.job]++;
    return true;
  };

  auto job_mode = [&](size_t j) { return jobs[j].mode; };
  auto handle_line = [&](Slot& s, const std::string& line) {
    auto f = split_record(line);
    ExerciseResult& r = results[s.job];
    const std::string& k = f[0];
    auto check_at = [&](const std::string& idx) -> CheckResult* {
      long i = std::strtol(idx.c_str(), nullptr, 10);
      if (i < 0 || static_cast<size_t>(i) >= r.checks.size()) return nullptr;
      return &r.checks[static_cast<size_t>(i)];
    };
    if (k == "J" && f.size() >= 2) {
      // The child goes on with the next job of its batch.
      size_t j = std::strtoull(f[1].c_str(), nullptr, 10);
      if (s.rest.empty() || s.rest.front() != j) return;  // not what it was given: ignored
      s.rest.pop_front();
      s.job = j;
      s.current = 0;
      s.done = s.setup_error = false;
      s.limit.clear();
      s.limit_line = 0;
      s.deadline = now_ns() + static_cast<uint64_t>((limits_.wall_seconds() + 1.0) * 1e9);
      s.credit = 0;
      started[j] = static_cast<double>(now_ns()) / 1e9;
      open_segments[j]++;
    } else if (k == "B" && f.size() >= 2) {
      s.current = static_cast<int>(std::strtol(f[1].c_str(), nullptr, 10));
      s.deadline = now_ns() + static_cast<uint64_t>((limits_.wall_seconds() + 1.0) * 1e9);
      s.credit = 0;
    } else if (k == "R" && f.size() >= 5) {
      if (CheckResult* c = check_at(f[1])) {
        c->status = f[2] == "pass" ? CheckResult::Pass : CheckResult::Fail;
        c->line = static_cast<int>(std::strtol(f[3].c_str(), nullptr, 10));
        c->message = f[4];
      }
    } else if (k == "P" && f.size() >= 6) {
      Observed* o = job_mode(s.job) == Mode::Run ? &r.run.seen : nullptr;
      if (!o)
        if (CheckResult* c = check_at(f[1])) o = &c->seen;
      if (o) {
        o->output = f[2];
        o->debug_output = f[3];
        o->output_dropped = std::strtoull(f[4].c_str(), nullptr, 10);
        o->debug_dropped = std::strtoull(f[5].c_str(), nullptr, 10);
      }
    } else if (k == "W" && f.size() >= 5) {
      Observed* o = job_mode(s.job) == Mode::Run ? &r.run.seen : nullptr;
      if (!o)
        if (CheckResult* c = check_at(f[1])) o = &c->seen;
      if (o && o->diagnostics.size() < 50)
        o->diagnostics.push_back({f[2], static_cast<int>(std::strtol(f[3].c_str(), nullptr, 10)), f[4]});
    } else if (k == "L" && f.size() >= 2) {
      s.limit = f[1];
      s.limit_line = f.size() >= 3 ? static_cast<int>(std::strtol(f[2].c_str(), nullptr, 10)) : 0;
    } else if (k == "O" && f.size() >= 2) {
      r.run.output += f[1];  // one record, or several when streamed
      if (events_.output) events_.output(s.job, f[1]);
    } else if (k == "T" && f.size() >= 3) {
      r.run.timelines.push_back({f[1], f[2]});
      if (events_.timeline) events_.timeline(s.job, r.run.timelines.back());
    } else if (k == "V" && f.size() >= 8) {
      r.run.finished = f[1] == "1";
      r.run.time = f[2];
      r.run.tasks = f[3];
      r.run.values = f[4];
      r.run.error = f[5];
      r.run.warnings = f[6];
      r.run.line = static_cast<int>(std::strtol(f[7].c_str(), nullptr, 10));
      if (f.size() >= 10) {
        r.run.call = f[8];
        r.run.timeline = f[9];
      }
    } else if (k == "E" && f.size() >= 2) {
      s.setup_error = true;
      r.problem = "the checks could not run: " + f[1];
    } else if (k == "D") {
      if (!s.done) {
        s.done = true;
        if (--open_segments[s.job] == 0) finish(s.job);
      }
    }
  };

  // A child has ended: account for the check it was running, restart after it.
  auto reap = [&](Slot& s) {
    // Everything the exercise started goes with it, whatever state it is
    // in: its group is killed while the child (dead or alive) still holds
    // the group's id, then the child is reaped.
    kill(-s.pid, SIGKILL);
    int status = 0;
    while (waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(s.fd);
    // The jobs of its batch it never began go back to the front of the
    // queue (after the rest of the job it was running, if any: see below).
    for (auto it = s.rest.rbegin(); it != s.rest.rend(); ++it) pending.push_front({*it, 0});
    if (s.done) return;  // its last job had finished (D)
    open_segments[s.job]--;
    ExerciseResult& r = results[s.job];
    const Job& job = jobs[s.job];
    if (!s.done && !s.setup_error) {
      std::string kind = s.limit;
      int sig = 0;
      if (kind.empty()) {
        if (s.killed) {
          kind = "time";
        } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
          kind = "time";  // the CPU backstop (RLIMIT_CPU)
        } else if (WIFSIGNALED(status)) {
          kind = "crash";
          sig = WTERMSIG(status);
        } else if (WIFEXITED(status)) {
          int code = WEXITSTATUS(status);
          kind = code == kExitInstructions ? "instructions"
                 : code == kExitMemory     ? "memory"
                 : code == kExitOutput     ? "output"
                 : code == kExitRealTime   ? "time"
                                           : "crash";
        }
      }
      std::string msg = limit_message(kind, limits_, sig);
      if (job.mode == Mode::Run) {
        r.run.error = msg;
        r.run.line = s.limit_line;
      } else if (s.current >= 0 && static_cast<size_t>(s.current) < r.checks.size()) {
        CheckResult& c = r.checks[static_cast<size_t>(s.current)];
        c.status = CheckResult::Fail;
        c.message = msg;
        c.line = s.limit_line;
        c.limit = kind;
        if (static_cast<size_t>(s.current) + 1 < r.checks.size()) {
          pending.push_front({s.job, s.current + 1});
          return;
        }
      } else if (r.problem.empty()) {
        r.problem = "the checks could not start: " + msg;
      }
    }
    if (open_segments[s.job] == 0) finish(s.job);
  };

  while (!pending.empty() || !slots.empty()) {
    while (static_cast<int>(slots.size()) < max_slots && !pending.empty()) {
      Pending p = pending.front();
      pending.pop_front();
      if (!start(p) && open_segments[p.job] == 0) finish(p.job);
    }
    if (slots.empty()) continue;
    std::vector<pollfd> pfds;
    uint64_t now = now_ns(), next = UINT64_MAX;
    for (const Slot& s : slots) {
      pfds.push_back({s.fd, POLLIN, 0});
      next = std::min(next, s.deadline);
    }
    int timeout = next <= now ? 0 : static_cast<int>(std::min<uint64_t>((next - now) / 1000000 + 1, 1000));
    int n = poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    now = now_ns();
    std::vector<size_t> ended;
    for (size_t i = 0; i < slots.size(); i++) {
      Slot& s = slots[i];
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        ssize_t got = read(s.fd, buf, sizeof buf);
        if (got > 0) {
          s.buf.append(buf, static_cast<size_t>(got));
          size_t nl;
          while ((nl = s.buf.find('\n')) != std::string::npos) {
            handle_line(s, s.buf.substr(0, nl));
            s.buf.erase(0, nl + 1);
          }
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          ended.push_back(i);
          continue;
        }
      }
      if (!s.killed && now > s.deadline) {
        // The child's own backstop moves later by the time it waited for a
        // CPU (sandbox.cpp, wall_over), so does this one: by the child's
        // waits not credited yet (those of its earlier checks too: a little
        // more lenient than the child, never less), at most kMaxStarvedBackstops.
        uint64_t wait = cpu_wait_ns(s.pid);
        uint64_t more = wait > s.wait_seen ? wait - s.wait_seen : 0;
        uint64_t max_credit = static_cast<uint64_t>(kMaxStarvedBackstops * limits_.wall_seconds() * 1e9);
        if (more >= 10'000'000 && s.credit < max_credit) {
          more = std::min(more, max_credit - s.credit);
          s.wait_seen = wait;
          s.credit += more;
          s.deadline = now + more;
          continue;
        }
        kill(-s.pid, SIGKILL);
        kill(s.pid, SIGKILL);
        s.killed = true;
      }
    }
    for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
      Slot s = std::move(slots[*it]);
      slots.erase(slots.begin() + static_cast<long>(*it));
      reap(s);
    }
  }
  return results;
}

}  // namespace luasync::learn
