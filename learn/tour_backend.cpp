// tour_backend.cpp: `luasync tour --backend WORKSPACE`, the process that runs
// the page's Run and Check (see tour.h).
//
// Requests, one JSON object per line on stdin:
//   {"id": N, "op": "run",     "exercise": NAME, "source": TEXT}
//   {"id": N, "op": "check",   "exercise": NAME, "source": TEXT}
//   {"id": N, "op": "example", "lesson": DIR, "example": NAME, "source": TEXT}
//   {"id": N, "op": "ping"}
// Answers, one JSON object per line on stdout, each with the request's id:
//   {"type": "output", "text": ...}           what the code printed, as it prints
//   {"type": "timeline", "svg": ..., "snapshots": [...]}   after each asyncio.run
//   {"type": "run", "result": {...}}          how a run ended (tour_pages.cpp)
//   {"type": "check", "result": {...}}        a check's result and the progress
//   {"type": "error", "message": ...}         a request it cannot do
//   {"type": "end", "ms": N}                  the last one: real milliseconds it took here
//
// The source comes with the request (the front has saved it to the
// workspace file first), so the checks judge exactly what the editor shows.
// A check is recorded in the progress as `luasync learn check` records it.
// Examples run like exercises in Run mode, with the grants of their
// lesson's exercises (an example of the HTTP lesson may use HTTP).
#include <jansson.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "cli.h"
#include "recorder.h"
#include "tour.h"

namespace luasync::learn::tour {

namespace {

bool write_line(const std::string& s) {
  std::string line = s + "\n";
  const char* p = line.data();
  size_t n = line.size();
  while (n > 0) {
    ssize_t w = ::write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string str(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string field(json_t* o, const char* k) {
  json_t* v = json_object_get(o, k);
  if (!json_is_string(v)) return "";
  return std::string(json_string_value(v), json_string_length(v));
}

class Backend {
 public:
  Backend(Engine& engine, Workspace& ws, const Limits& limits) : engine_(engine), ws_(ws), runner_(engine, limits, 1) {
    // Examples run as exercises without checks, with their lesson's grants.
    Catalog& cat = engine.catalog();
    for (size_t li = 0; li < cat.lessons.size(); li++) {
      const Lesson& l = cat.lessons[li];
      Grants g;
      for (size_t xi : l.exercises) {
        g.http = g.http || cat.exercises[xi].grants.http;
        g.fs = g.fs || cat.exercises[xi].grants.fs;
        g.subprocess = g.subprocess || cat.exercises[xi].grants.subprocess;
      }
      for (const auto& e : l.examples) {
        Exercise& x = examples_.emplace_back();
        x.name = e.name;
        x.title = e.name;
        x.lesson = li;
        x.lesson_dir = l.dir;
        x.grants = g;
        x.checks_loaded = true;  // none to load
      }
    }
    runner_.set_run_events({
        [this](size_t, const std::string& text) {
          if (quiet_) return;
          write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"output\",\"text\":" + str(text) + "}");
        },
        [this](size_t, const RunTimeline& t) {
          if (quiet_) return;
          write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"timeline\",\"svg\":" + str(t.svg) +
                     ",\"snapshots\":" + (t.snapshots.empty() ? "[]" : t.snapshots) + "}");
        },
    });
  }

  // Runs one example first, so that the first Run from the page finds
  // everything warm (the shared tables sealed, the engine state collected
  // once, the HTTP plugin loaded).
  void warm_up() {
    if (examples_.empty()) return;
    const Example* e = example_of(examples_.front());
    if (!e) return;
    std::vector<Job> jobs(1);
    jobs[0].ex = &examples_.front();
    jobs[0].mode = Mode::Run;
    jobs[0].has_source = true;
    jobs[0].source = e->code;
    jobs[0].path = jobs[0].display = "warm-up.lua";
    quiet_ = true;
    runner_.run(jobs);
    quiet_ = false;
  }

  bool handle(const std::string& line) {
    json_error_t jerr;
    json_t* req = json_loadb(line.data(), line.size(), 0, &jerr);
    if (!req || !json_is_object(req)) {
      if (req) json_decref(req);
      return write_line("{\"id\":0,\"type\":\"error\",\"message\":" + str(std::string("bad request: ") + jerr.text) +
                        "}");
    }
    id_ = json_integer_value(json_object_get(req, "id"));
    std::string op = field(req, "op");
    std::string exercise = field(req, "exercise"), lesson = field(req, "lesson"), example = field(req, "example");
    std::string source = field(req, "source");
    json_decref(req);
    uint64_t t0 = uv_hrtime();
    bool ok;
    if (op == "run" || op == "check") {
      ok = job(op == "run" ? Mode::Run : Mode::Check, find_exercise(exercise), source, false);
    } else if (op == "example") {
      ok = job(Mode::Run, find_example(lesson, example), source, true);
    } else if (op == "ping") {
      ok = true;
    } else {
      ok = error("unknown request '" + op + "'");
    }
    if (!ok) return false;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(uv_hrtime() - t0) / 1e6);
    return write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"end\",\"ms\":" + ms + "}");
  }

 private:
  bool error(const std::string& msg) {
    return write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"error\",\"message\":" + str(msg) + "}");
  }

  Exercise* find_exercise(const std::string& name) { return engine_.catalog().find_exercise(name); }

  Exercise* find_example(const std::string& lesson, const std::string& name) {
    for (auto& x : examples_)
      if (x.lesson_dir == lesson && x.name == name) return &x;
    return nullptr;
  }

  const Example* example_of(const Exercise& x) const {
    for (const auto& e : engine_.catalog().lessons[x.lesson].examples)
      if (e.name == x.name) return &e;
    return nullptr;
  }

  bool job(Mode mode, Exercise* ex, const std::string& source, bool is_example) {
    if (!ex) return error(is_example ? "there is no such example" : "there is no such exercise");
    std::vector<Job> jobs(1);
    Job& j = jobs[0];
    j.ex = ex;
    j.mode = mode;
    j.has_source = true;
    j.source = source;
    if (is_example) {
      const Example* e = example_of(*ex);
      j.path = j.display = e ? e->path : ex->name + ".lua";
    } else {
      j.path = ws_.path_of(*ex);
      j.display = ex->workspace_path();
    }
    j.stream = j.timeline = mode == Mode::Run;
    std::vector<ExerciseResult> results = runner_.run(jobs);
    const ExerciseResult& r = results[0];
    if (mode == Mode::Run)
      return write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"run\",\"result\":" + run_json(r) + "}");
    // Recorded as the terminal records it: merged under the workspace lock
    // with what a terminal may have recorded meanwhile.
    std::string err;
    record_result(ws_, r, &err);
    if (r.passed()) advance_after_pass(ws_, engine_.catalog(), r, &err);
    return write_line("{\"id\":" + std::to_string(id_) + ",\"type\":\"check\",\"result\":" +
                      check_json(r, engine_.catalog(), &ws_) + "}");
  }

  Engine& engine_;
  Workspace& ws_;
  Runner runner_;
  std::deque<Exercise> examples_;  // a deque: jobs point into it
  long long id_ = 0;
  bool quiet_ = false;  // warming up: nothing is sent
};

}  // namespace

int backend_main(const std::string& workspace, const std::string& lessons, double time_limit) {
  Engine engine;
  std::string err;
  if (!engine.open(lessons, &err)) {
    std::fprintf(stderr, "luasync tour: %s\n", err.c_str());
    return 1;
  }
  Workspace ws;
  if (!ws.find(workspace) || !ws.load(&err)) {
    std::fprintf(stderr, "luasync tour: %s is not a learn workspace\n", workspace.c_str());
    return 1;
  }
  // Every check file compiled once, before the first fork.
  for (auto& ex : engine.catalog().exercises) engine.load_checks(ex);
  Limits limits;
  limits.cpu_seconds = time_limit;
  Backend backend(engine, ws, limits);
  if (!write_line("{\"id\":0,\"type\":\"ready\"}")) return 0;
  backend.warm_up();
  std::string buf;
  char chunk[65536];
  for (;;) {
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && !backend.handle(line)) return 0;  // the front is gone
    }
    ssize_t n = ::read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the front closed our stdin: it is done
    buf.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace luasync::learn::tour
