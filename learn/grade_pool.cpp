// grade_pool.cpp: the grader's worker processes (see GradePool in grade.h).
//
// Each worker is forked from the grader once every check file is loaded, so
// it holds the warm engine state and little else. The grader keeps up to
// kDepth exercises in flight per worker; a worker takes whatever has arrived
// and runs it with the engine's Runner, kSlots sandbox children at a time
// (each forked from that state, as `luasync learn check` does), sending each
// result back as soon as it is known. Two children per worker keep the CPUs
// busy while a check waits (on an in-process server, a subprocess, the
// virtual clock's grace): with one, a 2-core machine idled a fifth of the
// time. Forking from a small worker instead of the grader keeps fork() cheap
// while the grader's memory grows with the results, and lets the workers
// fork in parallel. Protocol, one record per line, fields encoded with
// encode_field:
//   grader -> worker   J id exercise-index display source group
//   worker -> grader   X id seconds problem
//                      C status line limit message   (one per check, in order;
//                                                     status: p pass, f fail, n not run)
//                      Z
// A worker that dies or stops answering is replaced, and the exercises it
// had go to the new one once before they count as failed (with a message
// saying so).
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <algorithm>

#include "grade.h"

namespace luasync::learn {

namespace {

// Longest message a worker sends for a check (the grader normalizes and
// clips again); an error object can be a 60 MB string.
constexpr size_t kMaxWireMessage = 16 << 10;

bool write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    f.push_back(decode_field(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start)));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return f;
}

std::string clip(const std::string& s) {
  if (s.size() <= kMaxWireMessage) return s;
  return s.substr(0, kMaxWireMessage);  // the grader repairs a cut UTF-8 sequence
}

std::string serialize(size_t id, const ExerciseResult& r) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.6f", r.seconds);
  std::string out = "X\t" + std::to_string(id) + "\t" + secs + "\t" + encode_field(clip(r.problem)) + "\n";
  for (const auto& c : r.checks) {
    const char* st = c.status == CheckResult::Pass ? "p" : c.status == CheckResult::Fail ? "f" : "n";
    out += std::string("C\t") + st + "\t" + std::to_string(c.line) + "\t" + encode_field(c.limit) + "\t" +
           encode_field(clip(c.message)) + "\n";
  }
  out += "Z\n";
  return out;
}

// Sandbox children each worker runs at once; exercises of one submission
// each child runs one after another (a fork, with the copy-on-write faults
// that follow, cost about as much as the checks of a short exercise: 20, or
// about half a submission, measured best: 1,000 distinct submissions took
// 29 s with 4, 27 s with 8, 25 s with 20, 27 s with 40, which leaves one
// child per submission and less to overlap); and exercises the grader hands
// a worker before it has answered (enough to fill both slots with a batch).
constexpr int kSlots = 2;
constexpr int kBatch = 20;
constexpr size_t kDepth = 40;

// The worker's life: jobs in, results out, until the grader closes the pipe.
[[noreturn]] void worker_main(Engine& engine, const Limits& limits, int in, int out, pid_t grader) {
  // A worker does not outlive the grader (killed by a batch system, say).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != grader) _exit(0);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, SIG_DFL);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (devnull > 2) close(devnull);
  }
  Runner runner(engine, limits, kSlots, kBatch);
  runner.close_in_children({in, out});
  std::string buf;
  char chunk[65536];
  std::vector<Job> jobs;
  std::vector<size_t> ids;
  for (;;) {
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      auto f = split_tabs(buf.substr(0, nl));
      buf.erase(0, nl + 1);
      if (f.size() < 6 || f[0] != "J") _exit(3);
      size_t ex = std::strtoull(f[2].c_str(), nullptr, 10);
      if (ex >= engine.catalog().exercises.size()) _exit(3);
      ids.push_back(std::strtoull(f[1].c_str(), nullptr, 10));
      Job& job = jobs.emplace_back();
      job.ex = &engine.catalog().exercises[ex];
      job.path = f[3];
      job.display = f[3];
      job.has_source = true;
      job.source = std::move(f[4]);
      job.group = std::strtoull(f[5].c_str(), nullptr, 10);
    }
    // Run what has arrived once nothing more is waiting in the pipe.
    pollfd pfd = {in, POLLIN, 0};
    if (!jobs.empty() && poll(&pfd, 1, 0) == 0) {
      bool ok = true;
      runner.run(jobs, [&](const ExerciseResult& r, size_t, size_t) {
        if (ok && !write_all(out, serialize(ids[r.index], r))) ok = false;
      });
      if (!ok) _exit(0);
      jobs.clear();
      ids.clear();
      continue;
    }
    ssize_t n = read(in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    buf.append(chunk, static_cast<size_t>(n));
  }
}

uint64_t now_ms() { return uv_hrtime() / 1000000; }

}  // namespace

struct GradePool::Worker {
  pid_t pid = -1;
  int to = -1;    // jobs to the worker
  int from = -1;  // results from it
  std::string buf;
  std::string outbuf;  // job records not written yet (flush)
  struct InFlight {
    PoolJob job;  // its source is kept to hand it to a new worker if this one is lost
    int attempts = 0;
  };
  std::deque<InFlight> inflight;  // in the order sent
  uint64_t deadline = 0;
  ExerciseResult partial;  // the result being received
  size_t partial_id = 0;
  const Exercise* partial_ex = nullptr;
  bool receiving = false;
};

GradePool::GradePool(Engine& engine, const Limits& limits, int jobs)
    : engine_(engine), limits_(limits), jobs_(std::max(1, jobs)) {}

GradePool::~GradePool() {
  for (Worker* w : workers_) {
    if (w->to >= 0) close(w->to);
    if (w->from >= 0) close(w->from);
    if (w->pid > 0) {
      if (!w->inflight.empty()) kill(w->pid, SIGKILL);
      while (waitpid(w->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    delete w;
  }
}

bool GradePool::spawn(Worker& w, std::string* err) {
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0) {
    *err = std::string("cannot start a worker: ") + std::strerror(errno);
    return false;
  }
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]), close(down[1]);
    *err = std::string("cannot start a worker: ") + std::strerror(errno);
    return false;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t grader = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(down[0]), close(down[1]), close(up[0]), close(up[1]);
    *err = std::string("cannot start a worker: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    for (Worker* o : workers_) {
      if (o->to >= 0) close(o->to);
      if (o->from >= 0) close(o->from);
    }
    worker_main(engine_, limits_, down[0], up[1], grader);
  }
  close(down[0]);
  close(up[1]);
  w.pid = pid;
  w.to = down[1];
  // Room for all the jobs a worker may have in flight (their sources), so
  // that handing it more never blocks the grader while it works (Linux's
  // default is 64 KB; the call may fail past pipe-max-size, harmlessly).
  fcntl(w.to, F_SETPIPE_SZ, 1 << 20);
  w.from = up[0];
  w.buf.clear();
  w.receiving = false;
  return true;
}

bool GradePool::start(std::string* err) {
  // Every check file is compiled before the first fork, so that no worker
  // or sandbox child compiles one again.
  for (auto& ex : engine_.catalog().exercises) engine_.load_checks(ex);
  for (int i = 0; i < jobs_; i++) {
    auto* w = new Worker();
    workers_.push_back(w);
    if (!spawn(*w, err)) return false;
  }
  return true;
}

bool GradePool::idle() const {
  for (const Worker* w : workers_)
    if (w->inflight.size() < kDepth) return true;
  return false;
}

size_t GradePool::busy() const {
  size_t n = 0;
  for (const Worker* w : workers_) n += w->inflight.size();
  return n;
}

// A worker answers within the Runner's own limits (each check at most the
// real-time backstop, moved later by up to kMaxStarvedBackstops more when
// its child is starved of CPU, plus a second before its child is killed);
// this is only a backstop for a worker that stopped answering altogether,
// renewed whenever it sends something.
void GradePool::renew_deadline(Worker& w) {
  size_t checks = 0;
  for (const auto& f : w.inflight) checks += f.job.ex->checks.size() + 1;
  double per_check = (kMaxStarvedBackstops + 1) * limits_.wall_seconds() + 2.0;
  w.deadline = now_ms() + static_cast<uint64_t>(per_check * 1000.0 * static_cast<double>(checks)) + 10000;
}

void GradePool::send(Worker& w, PoolJob job, int attempts) {
  size_t index = static_cast<size_t>(job.ex - engine_.catalog().exercises.data());
  std::string rec = "J\t" + std::to_string(job.id) + "\t" + std::to_string(index) + "\t" + encode_field(job.display) +
                    "\t" + encode_field(job.source) + "\t" + std::to_string(job.group) + "\n";
  w.inflight.push_back({std::move(job), attempts + 1});
  renew_deadline(w);
  w.outbuf += rec;
}

// Writes the job records handed out since the last call, one write per
// worker, so that a worker finds a submission's exercises together (they
// can share a sandbox child).
void GradePool::flush() {
  for (Worker* w : workers_) {
    if (w->outbuf.empty()) continue;
    if (w->to >= 0 && !write_all(w->to, w->outbuf)) {
      // Noticed as a lost worker by the next wait().
      close(w->to);
      w->to = -1;
    }
    w->outbuf.clear();
  }
}

void GradePool::submit(PoolJob job) {
  // The next exercise of the same submission goes where the previous one
  // went, if there is room: they can share a sandbox child there.
  Worker* best = nullptr;
  for (Worker* w : workers_) {
    if (w->inflight.size() >= kDepth) continue;
    if (!w->inflight.empty() && w->inflight.back().job.group == job.group) {
      best = w;
      break;
    }
    if (!best || w->inflight.size() < best->inflight.size()) best = w;
  }
  if (best) send(*best, std::move(job), 0);
}

void GradePool::lost(Worker& w, const std::string& why, std::vector<std::pair<size_t, ExerciseResult>>* out) {
  if (w.to >= 0) close(w.to);
  if (w.from >= 0) close(w.from);
  w.to = w.from = -1;
  if (w.pid > 0) {
    kill(w.pid, SIGKILL);
    while (waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  w.pid = -1;
  w.receiving = false;
  w.outbuf.clear();  // its jobs are all in inflight, sent again below
  std::string err;
  bool respawned = spawn(w, &err);
  if (!respawned) std::fprintf(stderr, "luasync grade: %s\n", err.c_str());
  // A worker is trusted code: losing one (the OOM killer, a signal from
  // outside) says nothing about the submissions, so its exercises go to the
  // new worker once before they count as failed.
  std::deque<Worker::InFlight> had;
  had.swap(w.inflight);
  for (auto& f : had) {
    if (respawned && f.attempts < 2) {
      send(w, std::move(f.job), f.attempts);
      continue;
    }
    ExerciseResult r;
    r.ex = f.job.ex;
    r.file = f.job.display;
    for (const auto& c : f.job.ex->checks) r.checks.push_back({c.name, c.points, CheckResult::NotRun, "", 0, "", {}});
    r.problem = "the grader could not check this exercise: " + why;
    out->emplace_back(f.job.id, std::move(r));
  }
}

std::vector<std::pair<size_t, ExerciseResult>> GradePool::wait(int timeout_ms) {
  flush();
  std::vector<std::pair<size_t, ExerciseResult>> out;
  std::vector<pollfd> pfds;
  std::vector<Worker*> polled;
  uint64_t now = now_ms();
  for (Worker* w : workers_) {
    if (w->from < 0 || w->to < 0) {
      lost(*w, "its worker process is gone", &out);
      continue;
    }
    if (!w->inflight.empty() && now > w->deadline) {
      lost(*w, "its worker process stopped answering", &out);
      continue;
    }
    if (w->inflight.empty()) continue;
    pfds.push_back({w->from, POLLIN, 0});
    polled.push_back(w);
  }
  if (!out.empty()) return out;
  if (pfds.empty()) return out;
  int wait_ms = timeout_ms < 0 ? 1000 : std::min(timeout_ms, 1000);
  int n = poll(pfds.data(), pfds.size(), wait_ms);
  if (n <= 0) return out;
  for (size_t i = 0; i < pfds.size(); i++) {
    if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    Worker& w = *polled[i];
    char chunk[65536];
    ssize_t got = read(w.from, chunk, sizeof chunk);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      int status = 0;
      std::string why = "its worker process died";
      if (w.pid > 0 && waitpid(w.pid, &status, WNOHANG) == w.pid) {
        w.pid = -1;
        if (WIFSIGNALED(status)) why += std::string(" (signal SIG") + (sigabbrev_np(WTERMSIG(status)) ?: "?") + ")";
      }
      lost(w, why, &out);
      continue;
    }
    renew_deadline(w);
    w.buf.append(chunk, static_cast<size_t>(got));
    size_t nl;
    while ((nl = w.buf.find('\n')) != std::string::npos) {
      auto f = split_tabs(w.buf.substr(0, nl));
      w.buf.erase(0, nl + 1);
      if (f[0] == "X" && f.size() >= 4) {
        size_t id = std::strtoull(f[1].c_str(), nullptr, 10);
        auto it = std::find_if(w.inflight.begin(), w.inflight.end(), [&](const auto& x) { return x.job.id == id; });
        if (it == w.inflight.end()) continue;  // not ours: ignore its records
        w.partial = ExerciseResult();
        w.partial.ex = it->job.ex;
        w.partial.file = it->job.display;
        w.partial.seconds = std::strtod(f[2].c_str(), nullptr);
        w.partial.problem = f[3];
        w.partial_id = id;
        w.partial_ex = it->job.ex;
        w.receiving = true;
      } else if (f[0] == "C" && f.size() >= 5 && w.receiving) {
        size_t k = w.partial.checks.size();
        CheckResult c;
        if (k < w.partial_ex->checks.size()) {
          c.name = w.partial_ex->checks[k].name;
          c.points = w.partial_ex->checks[k].points;
        }
        c.status = f[1] == "p" ? CheckResult::Pass : f[1] == "f" ? CheckResult::Fail : CheckResult::NotRun;
        c.line = static_cast<int>(std::strtol(f[2].c_str(), nullptr, 10));
        c.limit = f[3];
        c.message = f[4];
        w.partial.checks.push_back(std::move(c));
      } else if (f[0] == "Z" && w.receiving) {
        w.receiving = false;
        auto it = std::find_if(w.inflight.begin(), w.inflight.end(),
                               [&](const auto& x) { return x.job.id == w.partial_id; });
        if (it != w.inflight.end()) w.inflight.erase(it);
        out.emplace_back(w.partial_id, std::move(w.partial));
      }
    }
  }
  return out;
}

}  // namespace luasync::learn
