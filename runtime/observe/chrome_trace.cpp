// chrome_trace.cpp: recordings in the Chrome trace event format (JSON), for
// Perfetto (ui.perfetto.dev) and chrome://tracing. See recorder.h.
//
// Each recording (one asyncio.run) is a process (pid = its run number), each
// task a thread (tid = its task number, named "label [Task-n]"). A task's
// steps are complete events ("X", cat "run") whose args give the real time
// the step took; its waits are duration events ("B"/"E", cat "wait") named
// after what they wait on ("sleep 2s", "await B", "lock"); its creation,
// failure and cancellation are thread-scoped instants ("i"). Timestamps are
// microseconds on the loop's clock from the start of the run, so a run on
// the virtual clock shows its virtual time.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "recorder.h"

namespace luasync {

// Appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      i++;
      continue;
    }
    size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\\ufffd";
      i++;
    }
  }
  out += '"';
}

namespace {

// Microseconds, at most 3 decimals, no trailing zeros, appended to out.
void append_micros(std::string& out, double seconds) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.3f", seconds * 1e6);
  while (n > 0 && buf[n - 1] == '0') n--;
  if (n > 0 && buf[n - 1] == '.') n--;
  if (n == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    n = 1;
  }
  out.append(buf, n);
}

// The JSON text, written to a file in 64 KiB pieces (a trace can hold
// millions of events), or kept whole when there is no file.
class Writer {
 public:
  explicit Writer(FILE* f) : f_(f) {}
  std::string& buf() { return buf_; }
  // Starts {"ph":ph,"pid":pid,"tid":tid,"name":name: the caller appends the
  // other fields, then calls end().
  void begin(const char* ph, int pid, uint64_t tid, const std::string& name) {
    buf_ += first_ ? "\n{\"ph\":\"" : ",\n{\"ph\":\"";
    first_ = false;
    buf_ += ph;
    char num[64];
    int n = std::snprintf(num, sizeof num, "\",\"pid\":%d,\"tid\":%llu,\"name\":", pid,
                          static_cast<unsigned long long>(tid));
    buf_.append(num, n);
    append_json_string(buf_, name);
  }
  void ts(double seconds) {
    buf_ += ",\"ts\":";
    append_micros(buf_, seconds);
  }
  void end() {
    buf_ += '}';
    if (f_ && buf_.size() >= 65536) flush();
  }
  void flush() {
    if (f_ && !buf_.empty()) {
      if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) failed_ = true;
      buf_.clear();
    }
  }
  bool failed() const { return failed_; }

 private:
  FILE* f_;
  std::string buf_;
  bool first_ = true;
  bool failed_ = false;
};

void write_recording(Writer& w, const Recorder& rec, int pid) {
  const auto& tasks = rec.tasks();
  double t0 = rec.start_time();
  std::string& b = w.buf();
  auto tid = [&](uint32_t task) { return tasks[task].number; };
  auto thread_label = [&](uint32_t task) {
    return tasks[task].label() + " [Task-" + std::to_string(tasks[task].number) + "]";
  };

  std::string pname = "asyncio.run";
  if (rec.run_number > 0) pname += " #" + std::to_string(rec.run_number);
  pname += rec.virtual_clock() ? " (virtual clock)" : " (real clock)";
  w.begin("M", pid, 0, "process_name");
  b += ",\"args\":{\"name\":";
  append_json_string(b, pname);
  b += "}";
  w.end();
  w.begin("M", pid, 0, "process_sort_index");
  b += ",\"args\":{\"sort_index\":" + std::to_string(pid) + "}";
  w.end();
  for (uint32_t i = 0; i < tasks.size(); i++) {
    w.begin("M", pid, tid(i), "thread_name");
    b += ",\"args\":{\"name\":";
    append_json_string(b, thread_label(i));
    b += "}";
    w.end();
    w.begin("M", pid, tid(i), "thread_sort_index");
    b += ",\"args\":{\"sort_index\":" + std::to_string(i) + "}";
    w.end();
  }

  // Per task: where the running step began, and the wait in progress.
  struct State {
    double run_start = -1, run_real = 0;
    const Recorder::Event* wait = nullptr;  // the Suspended event of the open "B"
  };
  std::vector<State> st(tasks.size());
  static const std::string kRun = "run";
  using K = Recorder::Kind;
  auto end_run = [&](uint32_t task, double time, double real) {
    State& s = st[task];
    if (s.run_start < 0) return;
    w.begin("X", pid, tid(task), kRun);
    b += ",\"cat\":\"run\"";
    w.ts(s.run_start - t0);
    b += ",\"dur\":";
    append_micros(b, time - s.run_start);
    b += ",\"args\":{\"real_us\":";
    append_micros(b, real - s.run_real);
    b += "}";
    w.end();
    s.run_start = -1;
  };
  auto end_wait = [&](uint32_t task, double t) {
    State& s = st[task];
    if (!s.wait) return;
    w.begin("E", pid, tid(task), rec.describe_wait(*s.wait));
    b += ",\"cat\":\"wait\"";
    w.ts(t - t0);
    w.end();
    s.wait = nullptr;
  };
  auto instant = [&](uint32_t task, const char* name, double t) {
    w.begin("i", pid, tid(task), name);
    b += ",\"s\":\"t\",\"cat\":\"task\"";
    w.ts(t - t0);
  };
  for (const auto& e : rec.events()) {
    if (e.task >= tasks.size()) continue;
    State& s = st[e.task];
    switch (e.kind) {
      case K::Created: {
        instant(e.task, "created", e.time);
        uint32_t p = tasks[e.task].parent;
        if (p != Recorder::kNone) {
          b += ",\"args\":{\"by\":";
          append_json_string(b, thread_label(p));
          b += "}";
        }
        w.end();
        break;
      }
      case K::Started:
      case K::Resumed:
        end_wait(e.task, e.time);
        s.run_start = e.time;
        s.run_real = e.real;
        break;
      case K::Suspended:
        end_run(e.task, e.time, e.real);
        s.wait = &e;
        w.begin("B", pid, tid(e.task), rec.describe_wait(e));
        b += ",\"cat\":\"wait\"";
        w.ts(e.time - t0);
        w.end();
        break;
      case K::Finished:
      case K::Cancelled:
      case K::Failed:
        end_run(e.task, e.time, e.real);
        end_wait(e.task, e.time);
        instant(e.task, e.kind == K::Finished ? "finished" : e.kind == K::Cancelled ? "cancelled" : "failed",
                e.time);
        if (e.kind == K::Failed) {
          b += ",\"args\":{\"error\":";
          append_json_string(b, tasks[e.task].error);
          b += "}";
        }
        w.end();
        break;
    }
  }
  // Still pending when the recording stopped: close what is open.
  for (uint32_t i = 0; i < tasks.size(); i++) {
    end_run(i, rec.end_time(), rec.end_real());
    end_wait(i, rec.end_time());
  }
}

void write_all(Writer& w, const std::vector<const Recorder*>& recs) {
  w.buf() += "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"luasync " LUASYNC_VERSION
             "\"},\"traceEvents\":[";
  int n = 0;
  for (const Recorder* r : recs) {
    n++;
    write_recording(w, *r, r->run_number > 0 ? r->run_number : n);
  }
  w.buf() += "\n]}\n";
}

}  // namespace

std::string chrome_trace_json(const std::vector<const Recorder*>& recs) {
  Writer w(nullptr);
  write_all(w, recs);
  return std::move(w.buf());
}

bool write_chrome_trace(FILE* f, const std::vector<const Recorder*>& recs) {
  Writer w(f);
  write_all(w, recs);
  w.flush();
  return !w.failed();
}

}  // namespace luasync
