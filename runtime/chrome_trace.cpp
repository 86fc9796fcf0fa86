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

namespace {

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

// Microseconds, at most 3 decimals, no trailing zeros.
std::string micros(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds * 1e6);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  // {"ph":ph,"pid":pid,"tid":tid,"name":name[,"ts":ts][,...extra]}
  void event(const char* ph, int pid, uint64_t tid, const std::string& name, const std::string& rest) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    out_ += "{\"ph\":\"";
    out_ += ph;
    out_ += "\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) + ",\"name\":";
    append_json_string(out_, name);
    out_ += rest;
    out_ += '}';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_recording(Writer& w, const Recorder& rec, int pid) {
  const auto& tasks = rec.tasks();
  double t0 = rec.start_time();
  auto ts = [&](double t) { return ",\"ts\":" + micros(t - t0); };
  auto tid = [&](uint32_t task) { return tasks[task].number; };

  std::string pname = "asyncio.run";
  if (rec.run_number > 0) pname += " #" + std::to_string(rec.run_number);
  pname += rec.virtual_clock() ? " (virtual clock)" : " (real clock)";
  std::string args;
  append_json_string(args, pname);
  w.event("M", pid, 0, "process_name", ",\"args\":{\"name\":" + args + "}");
  w.event("M", pid, 0, "process_sort_index", ",\"args\":{\"sort_index\":" + std::to_string(pid) + "}");
  for (uint32_t i = 0; i < tasks.size(); i++) {
    std::string name;
    append_json_string(name, tasks[i].label() + " [Task-" + std::to_string(tasks[i].number) + "]");
    w.event("M", pid, tid(i), "thread_name", ",\"args\":{\"name\":" + name + "}");
    w.event("M", pid, tid(i), "thread_sort_index", ",\"args\":{\"sort_index\":" + std::to_string(i) + "}");
  }

  // Per task: where the running step began, and the wait in progress.
  struct State {
    double run_start = -1, run_real = 0;
    std::string wait;  // open "B" event's name
    bool waiting = false;
  };
  std::vector<State> st(tasks.size());
  using K = Recorder::Kind;
  auto end_run = [&](uint32_t task, const Recorder::Event& e) {
    State& s = st[task];
    if (s.run_start < 0) return;
    w.event("X", pid, tid(task), "run",
            ",\"cat\":\"run\"" + ts(s.run_start) + ",\"dur\":" + micros(e.time - s.run_start) +
                ",\"args\":{\"real_us\":" + micros(e.real - s.run_real) + "}");
    s.run_start = -1;
  };
  auto end_wait = [&](uint32_t task, double t) {
    State& s = st[task];
    if (!s.waiting) return;
    w.event("E", pid, tid(task), s.wait, ",\"cat\":\"wait\"" + ts(t));
    s.waiting = false;
  };
  for (const auto& e : rec.events()) {
    if (e.task >= tasks.size()) continue;
    State& s = st[e.task];
    switch (e.kind) {
      case K::Created: {
        std::string a = ",\"s\":\"t\",\"cat\":\"task\"" + ts(e.time);
        uint32_t p = tasks[e.task].parent;
        if (p != Recorder::kNone) {
          std::string by;
          append_json_string(by, tasks[p].label() + " [Task-" + std::to_string(tasks[p].number) + "]");
          a += ",\"args\":{\"by\":" + by + "}";
        }
        w.event("i", pid, tid(e.task), "created", a);
        break;
      }
      case K::Started:
      case K::Resumed:
        end_wait(e.task, e.time);
        s.run_start = e.time;
        s.run_real = e.real;
        break;
      case K::Suspended:
        end_run(e.task, e);
        s.wait = rec.describe_wait(e);
        s.waiting = true;
        w.event("B", pid, tid(e.task), s.wait, ",\"cat\":\"wait\"" + ts(e.time));
        break;
      case K::Finished:
        end_run(e.task, e);
        end_wait(e.task, e.time);
        w.event("i", pid, tid(e.task), "finished", ",\"s\":\"t\",\"cat\":\"task\"" + ts(e.time));
        break;
      case K::Cancelled:
        end_run(e.task, e);
        end_wait(e.task, e.time);
        w.event("i", pid, tid(e.task), "cancelled", ",\"s\":\"t\",\"cat\":\"task\"" + ts(e.time));
        break;
      case K::Failed: {
        end_run(e.task, e);
        end_wait(e.task, e.time);
        std::string err;
        append_json_string(err, tasks[e.task].error);
        w.event("i", pid, tid(e.task), "failed",
                ",\"s\":\"t\",\"cat\":\"task\"" + ts(e.time) + ",\"args\":{\"error\":" + err + "}");
        break;
      }
    }
  }
  // Still pending when the recording stopped: close what is open.
  for (uint32_t i = 0; i < tasks.size(); i++) {
    if (st[i].run_start >= 0) {
      Recorder::Event e{};
      e.time = rec.end_time();
      e.real = rec.end_real();
      end_run(i, e);
    }
    end_wait(i, rec.end_time());
  }
}

}  // namespace

std::string chrome_trace_json(const std::vector<const Recorder*>& recs) {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"luasync " LUASYNC_VERSION
                    "\"},\"traceEvents\":[";
  Writer w(out);
  int n = 0;
  for (const Recorder* r : recs) {
    n++;
    write_recording(w, *r, r->run_number > 0 ? r->run_number : n);
  }
  out += "\n]}\n";
  return out;
}

}  // namespace luasync
