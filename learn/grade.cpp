// grade.cpp: `luasync grade` (see grade.h and docs/grading.md): the command
// line, finding the submissions, scheduling their exercises on the worker
// pool with a cache of identical files, the progress display, shards, and
// `luasync grade merge`.
#include "grade.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "confine.h"
#include "escape.h"
#include "render.h"
#include "workspace.h"

namespace luasync::learn {

namespace fs = std::filesystem;

namespace {

const char* kGradeUsage =
    "usage: luasync grade [options] SUBMISSION...\n"
    "       luasync grade merge [options] REPORT.json...\n"
    "\n"
    "Grades every exercise of every submission with the checks `luasync learn check`\n"
    "runs, each in the lesson sandbox, and writes a report.\n"
    "\n"
    "A SUBMISSION is a directory: a copy of a `luasync learn init` workspace\n"
    "(exercises/LESSON/NAME.lua), or the exercise files NAME.lua themselves, or a\n"
    "directory of such directories (each one a submission).\n"
    "\n"
    "options:\n"
    "  --format F          human (default), json, junit, gradescope, prairielearn\n"
    "  -o FILE             write the report to FILE (replaced atomically) instead of\n"
    "                      stdout; FILE may not be inside a submission\n"
    "  -j, --jobs N        N worker processes, each checking up to two exercises at\n"
    "                      a time (default: the number of CPUs)\n"
    "  --shard I/N         grade only slice I of N: the submissions sorted by path,\n"
    "                      those whose index (from 0) modulo N is I-1\n"
    "  --time-limit S      CPU seconds each check may take (default 5; real time: 3 S + 5)\n"
    "  --lessons DIR       the lessons in DIR instead of the built-in ones\n"
    "                      (also $LUASYNC_LESSONS)\n"
    "  --no-timing         leave out the timing fields: the report is then the same,\n"
    "                      byte for byte, every time the same submissions are graded\n"
    "  --no-dedupe         check every file, even one identical to a file already\n"
    "                      checked in this run (same exercise, path and bytes)\n"
    "  -v, --verbose       human format: every check, with the whole message\n"
    "  -q, --quiet         no progress on stderr\n"
    "  --check-sandbox     print which layers of the sandbox work on this machine\n"
    "                      (alone: `luasync grade --check-sandbox`)\n"
    "  -h, --help          this help\n"
    "\n"
    "merge: combines the --format json reports of shards (or of separate runs)\n"
    "into one report in any format; takes --format, -o, --no-timing, -v.\n"
    "\n"
    "Exit status: 0 when the report was written (whatever the scores), 1 on an\n"
    "error (also when the grader failed to check an exercise), 2 on bad usage.\n"
    "See docs/grading.md.\n";

struct Options {
  Format format = Format::Human;
  std::string out;
  int jobs = cpu_count();
  int shard_index = 0, shard_count = 0;
  double time_limit = 5.0;
  std::string lessons = lessons_dir_from_env();
  bool timing = true;
  bool dedupe = true;
  bool verbose = false;
  bool quiet = false;
  std::vector<std::string> args;
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "luasync grade: %s\n(run `luasync grade --help` for usage)\n", msg.c_str());
  return 2;
}

int fail_msg(const std::string& msg) {
  std::fprintf(stderr, "luasync grade: %s\n", msg.c_str());
  return 1;
}

bool parse_format(const std::string& s, Format* f) {
  static const std::pair<const char*, Format> names[] = {{"human", Format::Human},
                                                         {"json", Format::Json},
                                                         {"junit", Format::Junit},
                                                         {"gradescope", Format::Gradescope},
                                                         {"prairielearn", Format::Prairielearn}};
  for (const auto& [n, v] : names)
    if (s == n) {
      *f = v;
      return true;
    }
  return false;
}

// Parses the options shared by grade and merge; returns -1 to go on, or an
// exit status.
int parse_options(int argc, char** argv, int first, Options* o, bool merge) {
  for (int i = first; i < argc; i++) {
    std::string a = argv[i];
    std::string value;
    bool has_value = false;
    auto eq = a.find('=');
    if (a.size() > 2 && a[0] == '-' && a[1] == '-' && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto need = [&](const char* what) -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kGradeUsage, stdout);
      return 0;
    } else if (a == "--format" || a == "-f") {
      if (!need("F") || !parse_format(value, &o->format))
        return usage_error("--format takes human, json, junit, gradescope or prairielearn");
    } else if (a == "-o" || a == "--output") {
      if (!need("FILE") || value.empty()) return usage_error("-o needs a file name");
      o->out = value;
    } else if (!merge && (a == "--jobs" || a == "-j")) {
      if (!need("N") || std::atoi(value.c_str()) < 1) return usage_error("--jobs needs a number (1 or more)");
      o->jobs = std::atoi(value.c_str());
    } else if (!merge && a == "--shard") {
      int idx = 0, cnt = 0;
      char extra;
      if (!need("I/N") || std::sscanf(value.c_str(), "%d/%d%c", &idx, &cnt, &extra) != 2 || cnt < 1 || idx < 1 ||
          idx > cnt)
        return usage_error("--shard takes I/N with 1 <= I <= N (e.g. --shard 2/8)");
      o->shard_index = idx;
      o->shard_count = cnt;
    } else if (!merge && a == "--time-limit") {
      if (!need("S") || std::atof(value.c_str()) <= 0) return usage_error("--time-limit needs a number of seconds");
      o->time_limit = std::atof(value.c_str());
    } else if (!merge && a == "--lessons") {
      if (!need("DIR")) return usage_error("--lessons needs a directory");
      o->lessons = value;
    } else if (a == "--no-timing") {
      o->timing = false;
    } else if (!merge && a == "--no-dedupe") {
      o->dedupe = false;
    } else if (a == "-v" || a == "--verbose") {
      o->verbose = true;
    } else if (a == "-q" || a == "--quiet") {
      o->quiet = true;
    } else if (a == "--") {
      for (i++; i < argc; i++) o->args.push_back(argv[i]);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unrecognized option '" + a + "'" + (merge ? " for merge" : ""));
    } else {
      o->args.push_back(argv[i]);
    }
  }
  return -1;
}

// ---------------------------------------------------------------- sha-256

// SHA-256 (FIPS 180-4): the key of the cache of identical files. A
// collision would give one submission another's result, so the hash has to
// be one nobody can make collide on purpose.
std::string sha256(const std::string& data) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string m = data;
  uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  m += static_cast<char>(0x80);
  while (m.size() % 64 != 56) m += '\0';
  for (int i = 7; i >= 0; i--) m += static_cast<char>((bits >> (i * 8)) & 0xff);
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
      w[i] = static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i])) << 24 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 1])) << 16 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 2])) << 8 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 3]));
    for (int i = 16; i < 64; i++) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
      uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
  std::string out;
  for (uint32_t x : h)
    for (int i = 3; i >= 0; i--) out += static_cast<char>((x >> (i * 8)) & 0xff);
  return out;
}

// ---------------------------------------------------------------- submissions

struct Submission {
  std::string path;    // as shown
  std::string root;    // where its files are (canonical): path, or the one directory wrapping them
  std::string layout;  // workspace, flat, empty
};

// "workspace" (exercises/), "flat" (NAME.lua of some exercise at the top),
// or "" (neither).
std::string detect_layout(const fs::path& dir, const Catalog& cat) {
  std::error_code ec;
  if (fs::is_directory(dir / "exercises", ec)) return "workspace";
  for (const auto& e : cat.exercises) {
    struct stat st;
    if (lstat((dir / (e.name + ".lua")).c_str(), &st) == 0) return "flat";
  }
  return "";
}

std::string trim_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Expands the command-line arguments into submissions, sorted by path.
bool find_submissions(const std::vector<std::string>& args, const Catalog& cat, std::vector<Submission>* out,
                      std::string* err) {
  std::error_code ec;
  for (const std::string& raw : args) {
    std::string arg = trim_slashes(raw);
    if (!fs::is_directory(arg, ec)) {
      *err = raw + (fs::exists(arg, ec) ? " is not a directory" : " does not exist") +
             ": a submission is a directory (see `luasync grade --help`)";
      return false;
    }
    std::string layout = detect_layout(arg, cat);
    if (!layout.empty()) {
      out->push_back({arg, arg, layout});
      continue;
    }
    // A directory of submissions: each subdirectory (not hidden) is one.
    std::vector<std::string> subs;
    for (auto it = fs::directory_iterator(arg, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.empty() && name[0] != '.' && it->is_directory(ec)) subs.push_back(name);
    }
    if (ec) {
      *err = "cannot read " + raw + ": " + ec.message();
      return false;
    }
    if (subs.empty()) {
      out->push_back({arg, arg, "empty"});  // nothing submitted: every exercise missing
      continue;
    }
    for (const auto& name : subs) {
      std::string p = arg == "/" ? "/" + name : arg + "/" + name;
      std::string root = p;
      std::string l = detect_layout(p, cat);
      // A submission packed in one more directory (alice/luasync-learn/
      // exercises/...): when its only subdirectory holds the files, they
      // are in that directory.
      for (int depth = 0; l.empty() && depth < 2; depth++) {
        std::string only;
        int n = 0;
        for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
          std::string e = it->path().filename().string();
          // Not through a link: a student's link to a classmate's directory
          // would grade the classmate's files as theirs.
          if (e.empty() || e[0] == '.' || e == "__MACOSX" || it->is_symlink(ec) || !it->is_directory(ec)) continue;
          n++;
          only = it->path().string();
        }
        if (n != 1) break;
        root = only;
        l = detect_layout(root, cat);
      }
      out->push_back({p, root, l.empty() ? "empty" : l});
    }
  }
  std::sort(out->begin(), out->end(), [](const Submission& a, const Submission& b) { return a.path < b.path; });
  // The same directory named twice (or through two paths) is graded once.
  std::vector<Submission> unique;
  std::map<std::string, std::string> first;  // root -> the submission that has it
  for (auto& s : *out) {
    s.root = fs::canonical(s.root, ec).string();
    if (ec) {
      *err = "cannot resolve " + escape_name(s.path) + ": " + ec.message();
      return false;
    }
    auto [it, fresh] = first.emplace(s.root, s.path);
    if (fresh)
      unique.push_back(std::move(s));
    else if (it->second != s.path)
      std::fprintf(stderr, "luasync grade: %s is the same directory as %s: graded once, as %s\n",
                   escape_name(s.path).c_str(), escape_name(it->second).c_str(), escape_name(it->second).c_str());
  }
  *out = std::move(unique);
  return true;
}

bool inside(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          (root == "/" || path[root.size()] == '/'));
}

// ---------------------------------------------------------------- progress

class Progress {
 public:
  Progress(bool quiet, size_t total) : total_(total), t0_(uv_hrtime()) {
    tty_ = !quiet && isatty(2);
    lines_ = !quiet && !tty_;
    term_.color = tty_ && !std::getenv("NO_COLOR");
  }
  // A submission is done.
  void done(const GradedSubmission& s) {
    done_++;
    if (lines_)
      std::fprintf(stderr, "luasync grade: [%zu/%zu] %s: %s/%s\n", done_, total_, escape_name(s.path).c_str(),
                   trim(s.score()).c_str(), trim(s.max_score()).c_str());
    draw(true);
  }
  void tick() { draw(false); }
  void finish() {
    if (tty_) std::fputs("\r\x1b[2K", stderr);
  }

 private:
  static std::string trim(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
  }
  void draw(bool force) {
    if (!tty_) return;
    uint64_t now = uv_hrtime();
    if (!force && now - last_ < 100000000) return;
    last_ = now;
    char tail[96];
    std::snprintf(tail, sizeof tail, " submissions graded  %.1f s", static_cast<double>(now - t0_) / 1e9);
    std::fprintf(stderr, "\r\x1b[2K%s%s", progress_bar(done_, total_, 30, term_).c_str(), tail);
    std::fflush(stderr);
  }

  size_t total_, done_ = 0;
  uint64_t t0_, last_ = 0;
  bool tty_ = false, lines_ = false;
  Term term_;
};

// ---------------------------------------------------------------- grading

struct Slot {
  size_t sub, ex;
};

// A file being checked (or checked): where its result goes first, and the
// identical files waiting for it.
struct Entry {
  Slot owner;
  bool done = false;
  std::vector<Slot> waiters;
};

class Grader {
 public:
  Grader(Engine& engine, const Options& o, std::vector<Submission> subs)
      : engine_(engine), opt_(o), subs_(std::move(subs)) {}

  int run(GradeReport* report);
  // Exercises the grader itself could not check (its workers were lost).
  size_t unchecked() const { return unchecked_; }

 private:
  void skeleton();
  void handle(size_t s, size_t e);  // reads the file; resolves it or sends it to the pool
  void place(const Slot& at, GradedExercise g);
  void finish_problem(const Slot& at, const std::string& reason, bool missing);
  GradedExercise convert(const Slot& at, const ExerciseResult& r);

  Engine& engine_;
  const Options& opt_;
  std::vector<Submission> subs_;
  std::vector<GradedSubmission> graded_;
  std::vector<size_t> remaining_;
  std::unordered_map<std::string, size_t> cache_;  // sha-256 + exercise + file -> entries_ index
  std::vector<Entry> entries_;
  GradePool* pool_ = nullptr;
  Progress* progress_ = nullptr;
  size_t unchecked_ = 0;  // exercises the grader itself failed to check (lost workers)
};

void Grader::skeleton() {
  auto& cat = engine_.catalog();
  graded_.resize(subs_.size());
  remaining_.assign(subs_.size(), cat.exercises.size());
  for (size_t s = 0; s < subs_.size(); s++) {
    GradedSubmission& g = graded_[s];
    g.path = subs_[s].path;
    g.layout = subs_[s].layout;
    for (const auto& ex : cat.exercises) {
      GradedExercise e;
      e.name = ex.name;
      e.title = ex.title;
      e.lesson = ex.lesson_dir;
      e.file = g.layout == "workspace" ? ex.workspace_path() : ex.name + ".lua";
      for (const auto& c : ex.checks) e.checks.push_back({c.name, c.points, false, "", 0, ""});
      g.exercises.push_back(std::move(e));
    }
  }
}

void Grader::place(const Slot& at, GradedExercise g) {
  GradedSubmission& s = graded_[at.sub];
  s.seconds += g.seconds;
  s.exercises[at.ex] = std::move(g);
  if (--remaining_[at.sub] == 0) progress_->done(s);
}

void Grader::finish_problem(const Slot& at, const std::string& reason, bool missing) {
  GradedExercise g = graded_[at.sub].exercises[at.ex];
  g.missing = missing;
  g.reason = normalize_message(reason);
  for (auto& c : g.checks) c.message = g.reason;
  place(at, std::move(g));
}

GradedExercise Grader::convert(const Slot& at, const ExerciseResult& r) {
  GradedExercise g = graded_[at.sub].exercises[at.ex];
  g.seconds = r.seconds;
  if (!r.problem.empty()) g.reason = normalize_message(r.problem);
  if (r.problem.compare(0, 30, "the grader could not check thi") == 0) unchecked_++;
  g.checks.clear();
  for (const auto& c : r.checks) {
    GradedCheck gc;
    gc.name = c.name;
    gc.points = c.points;
    gc.passed = c.status == CheckResult::Pass;
    if (c.status == CheckResult::NotRun)
      gc.message = g.reason.empty() ? "not run" : g.reason;
    else if (!gc.passed)
      gc.message = normalize_message(c.message);
    gc.line = gc.passed ? 0 : c.line;
    gc.limit = gc.passed ? "" : c.limit;
    g.checks.push_back(std::move(gc));
  }
  return g;
}

void Grader::handle(size_t s, size_t e) {
  Slot at{s, e};
  const Submission& sub = subs_[s];
  Exercise& ex = engine_.catalog().exercises[e];
  const std::string& file = graded_[s].exercises[e].file;
  if (sub.layout == "empty") return finish_problem(at, "missing: " + file + " is not in the submission", true);
  fs::path path = fs::path(sub.root) / file;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
    return finish_problem(at, "missing: " + file + " is not in the submission", true);
  // The file must really be in the submission: a directory on its way
  // could be a link to somewhere else on the grading machine.
  std::error_code ec;
  fs::path dir = fs::canonical(path.parent_path(), ec);
  if (ec || !inside(dir.string(), sub.root))
    return finish_problem(at, file + " is outside the submission (a directory on its path is a symbolic link)",
                          false);
  std::string source, problem;
  if (!read_learner_file(path.string(), file, &source, &problem)) return finish_problem(at, problem, false);
  std::string key;
  if (opt_.dedupe) {
    key = sha256(source) + '\0' + std::to_string(e) + '\0' + file;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      Entry& entry = entries_[it->second];
      if (!entry.done) {
        entry.waiters.push_back(at);
      } else {
        GradedExercise g = graded_[entry.owner.sub].exercises[entry.owner.ex];
        g.seconds = 0;
        place(at, std::move(g));
      }
      return;
    }
  }
  size_t id = entries_.size();
  entries_.push_back({at, false, {}});
  if (opt_.dedupe) cache_.emplace(std::move(key), id);
  PoolJob job;
  job.id = id;
  job.ex = &ex;
  job.display = file;
  job.source = std::move(source);
  job.group = s;
  pool_->submit(std::move(job));
}

int Grader::run(GradeReport* report) {
  auto& cat = engine_.catalog();
  Limits limits;
  limits.cpu_seconds = opt_.time_limit;
  uint64_t t0 = uv_hrtime();
  GradePool pool(engine_, limits, std::min<int>(opt_.jobs, std::max<int>(1, static_cast<int>(subs_.size() *
                                                                                                cat.exercises.size()))));
  std::string err;
  // Check files first: the skeleton needs their checks, the workers inherit them.
  if (!pool.start(&err)) return fail_msg(err);
  pool_ = &pool;
  skeleton();
  Progress progress(opt_.quiet, subs_.size());
  progress_ = &progress;
  size_t cs = 0, ce = 0, nex = cat.exercises.size();
  if (nex == 0) {
    for (auto& g : graded_) progress.done(g);
    cs = subs_.size();
  }
  while (cs < subs_.size() || pool.busy() > 0) {
    while (cs < subs_.size() && pool.idle()) {
      handle(cs, ce);
      if (++ce == nex) ce = 0, cs++;
    }
    if (pool.busy() == 0) continue;
    for (auto& [id, r] : pool.wait(100)) {
      Entry& entry = entries_[id];
      GradedExercise g = convert(entry.owner, r);
      entry.done = true;
      for (const Slot& w : entry.waiters) {
        GradedExercise copy = g;
        copy.seconds = 0;
        place(w, std::move(copy));
      }
      entry.waiters.clear();
      entry.waiters.shrink_to_fit();
      place(entry.owner, std::move(g));
    }
    progress.tick();
  }
  progress.finish();
  report->lessons = cat.origin;
  report->shard_index = opt_.shard_index;
  report->shard_count = opt_.shard_count;
  report->timing = opt_.timing;
  report->seconds = static_cast<double>(uv_hrtime() - t0) / 1e9;
  report->submissions = std::move(graded_);
  return 0;
}

// ---------------------------------------------------------------- output

int write_report(const Options& o, const GradeReport& report) {
  bool color = o.out.empty() && o.format == Format::Human && isatty(1) && !std::getenv("NO_COLOR");
  std::string text = format_report(report, o.format, color, o.verbose);
  if (o.out.empty()) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return fail_msg(std::string("cannot write the report: ") + std::strerror(errno));
    return 0;
  }
  std::string err;
  if (!write_file_atomic(o.out, text, &err)) return fail_msg(err);
  return 0;
}

int merge_main(int argc, char** argv) {
  Options o;
  int rc = parse_options(argc, argv, 1, &o, true);
  if (rc >= 0) return rc;
  if (o.args.empty()) return usage_error("merge needs the JSON reports to combine");
  GradeReport merged;
  merged.timing = o.timing;
  std::map<std::string, std::string> where;  // submission -> report it came from
  std::set<int> shards;
  int shard_count = -1;
  for (size_t i = 0; i < o.args.size(); i++) {
    GradeReport r;
    std::string err;
    if (!read_json_report(o.args[i], &r, &err)) return fail_msg(err);
    if (i == 0) merged.lessons = r.lessons;
    if (r.lessons != merged.lessons)
      return fail_msg(o.args[i] + " was graded with the lessons '" + r.lessons + "', " + o.args[0] + " with '" +
                      merged.lessons + "'");
    if ((r.shard_count > 0) != (shard_count > 0) && i > 0)
      return fail_msg("cannot merge shard reports with whole ones (" + o.args[i] + ")");
    if (r.shard_count > 0) {
      if (shard_count > 0 && r.shard_count != shard_count)
        return fail_msg(o.args[i] + " is a shard of " + std::to_string(r.shard_count) + ", the others of " +
                        std::to_string(shard_count));
      shard_count = r.shard_count;
      if (!shards.insert(r.shard_index).second)
        return fail_msg("shard " + std::to_string(r.shard_index) + "/" + std::to_string(r.shard_count) +
                        " is given twice (" + o.args[i] + ")");
    } else {
      shard_count = 0;
    }
    merged.timing = merged.timing && r.timing;
    merged.seconds = std::max(merged.seconds, r.seconds);
    for (auto& s : r.submissions) {
      auto [it, fresh] = where.emplace(s.path, o.args[i]);
      if (!fresh) return fail_msg("the submission " + escape_name(s.path) + " is in both " + it->second + " and " + o.args[i]);
      merged.submissions.push_back(std::move(s));
    }
  }
  if (shard_count > 0)
    for (int k = 1; k <= shard_count; k++)
      if (!shards.count(k))
        return fail_msg("shard " + std::to_string(k) + "/" + std::to_string(shard_count) +
                        " is missing: merge needs the reports of every shard");
  std::sort(merged.submissions.begin(), merged.submissions.end(),
            [](const GradedSubmission& a, const GradedSubmission& b) { return a.path < b.path; });
  return write_report(o, merged);
}

}  // namespace

int grade_main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "merge") == 0) return merge_main(argc - 1, argv + 1);
  if (argc == 2 && std::strcmp(argv[1], "--check-sandbox") == 0) return check_sandbox_main();
  Options o;
  int rc = parse_options(argc, argv, 1, &o, false);
  if (rc >= 0) return rc;
  if (o.args.empty()) return usage_error("which submissions? `luasync grade DIR...`");

  Engine engine;
  std::string err;
  if (!engine.open(o.lessons, &err)) return fail_msg(err);
  std::vector<Submission> subs;
  if (!find_submissions(o.args, engine.catalog(), &subs, &err)) return usage_error(err);
  // The report goes outside every submission (and is opened only once
  // grading is over): the grader never writes into a submission.
  if (!o.out.empty()) {
    std::error_code ec;
    std::string out = fs::weakly_canonical(fs::absolute(o.out, ec), ec).string();
    for (const auto& s : subs)
      if (inside(out, s.root))
        return usage_error("the report " + o.out + " would be inside the submission " + escape_name(s.path) +
                           ": write it somewhere else");
    if (fs::is_directory(out, ec)) return usage_error("-o " + o.out + " is a directory");
  }
  if (o.shard_count > 0) {
    std::vector<Submission> slice;
    for (size_t i = 0; i < subs.size(); i++)
      if (static_cast<int>(i % static_cast<size_t>(o.shard_count)) == o.shard_index - 1) slice.push_back(subs[i]);
    subs = std::move(slice);
  }
  // What the sandbox cannot do on this machine is said, never skipped in
  // silence (--check-sandbox says more).
  for (const std::string& w : sandbox_warnings()) std::fprintf(stderr, "luasync grade: warning: %s\n", w.c_str());
  Grader grader(engine, o, std::move(subs));
  GradeReport report;
  // A worker that died makes writing to it fail with EPIPE (noticed and
  // handled by the pool) instead of killing the grader with SIGPIPE.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  rc = grader.run(&report);
  sigaction(SIGPIPE, &old, nullptr);
  if (rc != 0) return rc;
  rc = write_report(o, report);
  if (rc == 0 && grader.unchecked() > 0)
    return fail_msg(std::to_string(grader.unchecked()) +
                    " exercise(s) could not be checked because the grader's worker processes died (their reason "
                    "in the report says so): grade those submissions again");
  return rc;
}

}  // namespace luasync::learn
