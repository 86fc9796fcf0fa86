// recorder.cpp: the task recorder and the recording options (see recorder.h).
#include "recorder.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>

#include "call_graph.h"
#include "clock.h"
#include "coro.h"
#include "future.h"
#include "loop.h"
#include "options.h"
#include "runtime.h"
#include "task.h"
#include "trampoline.h"

namespace luasync {

// ---------------------------------------------------------------- Recorder

Recorder::Recorder(Loop* loop) : loop_(loop) {
  virtual_ = loop->clock().is_virtual();
  start_ = end_ = loop->time();
  start_real_ = end_real_ = virtual_ ? monotonic_seconds() : start_;
  loop->observer = this;
}

Recorder::~Recorder() { stop(); }

void Recorder::stop() {
  if (!loop_) return;
  end_ = loop_->time();
  end_real_ = virtual_ ? monotonic_seconds() : end_;
  if (loop_->observer == this) loop_->observer = nullptr;
  loop_ = nullptr;
}

// One clock read per event on the real clock (the loop's time is the real
// time there), two on the virtual clock.
void Recorder::push(uint32_t task, Kind kind, Wait wait, uint32_t ref, double delay) {
  Event e;
  e.time = loop_->time();
  e.real = virtual_ ? monotonic_seconds() : e.time;
  e.task = task;
  e.kind = kind;
  e.wait = wait;
  if (wait == Wait::Sleep)
    e.delay = delay;
  else
    e.ref = ref;
  events_.push_back(e);
}

uint32_t Recorder::intern_label(std::string_view s) {
  auto it = label_index_.find(s);
  if (it != label_index_.end()) return it->second;
  auto id = static_cast<uint32_t>(labels_.size());
  labels_.emplace_back(s);
  label_index_.emplace(labels_.back(), id);
  return id;
}

void Recorder::task_created(lua_State* L, int tidx, Task* t, int coro_idx) {
  if (!loop_) return;
  TaskInfo info;
  info.number = t->number;
  if (lua_getiuservalue(L, tidx, UV_NAME) == LUA_TSTRING) info.name = lua_tostring(L, -1);
  lua_pop(L, 1);
  append_coro_call(L, coro_idx, info.call);
  Task* parent = loop_->current_task();
  if (parent && parent->rec_id) info.parent = parent->rec_id - 1;
  info.created = loop_->time();
  tasks_.push_back(std::move(info));
  t->rec_id = static_cast<uint32_t>(tasks_.size());
  push(t->rec_id - 1, Kind::Created);
}

void Recorder::step_begin(Task* t) {
  if (!t->rec_id || !loop_) return;
  uint32_t id = t->rec_id - 1;
  TaskInfo& info = tasks_[id];
  if (info.started < 0) {
    info.started = loop_->time();
    push(id, Kind::Started);
  } else {
    push(id, Kind::Resumed);
  }
}

// The first line of the error value at idx, at most 200 bytes.
static std::string error_line(lua_State* L, int idx) {
  std::string s = safe_tostring(L, idx);
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

void Recorder::step_end(lua_State* L, int tidx, Task* t) {
  if (!t->rec_id || !loop_) return;
  uint32_t id = t->rec_id - 1;
  if (t->done()) {
    TaskInfo& info = tasks_[id];
    info.ended = loop_->time();
    if (lua_getiuservalue(L, tidx, UV_NAME) == LUA_TSTRING) info.name = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (t->state == Future::Cancelled) {
      info.outcome = Outcome::Cancelled;
      push(id, Kind::Cancelled);
    } else if (t->has_exception) {
      info.outcome = Outcome::Failed;
      lua_getiuservalue(L, tidx, UV_RESULT);
      info.error = error_line(L, -1);
      lua_pop(L, 1);
      push(id, Kind::Failed);
    } else {
      info.outcome = Outcome::Finished;
      push(id, Kind::Finished);
    }
    return;
  }
  switch (t->waiting) {
    case Task::Wait::None:
      push(id, Kind::Suspended, Wait::Yield);
      break;
    case Task::Wait::Timer:
      push(id, Kind::Suspended, Wait::Sleep, 0, t->wake_at - loop_->time());
      break;
    case Task::Wait::Future: {
      lua_getiuservalue(L, tidx, UV_WAITER);
      Future* f = to_future(L, -1);
      if (f && f->is_task) {
        auto* other = static_cast<Task*>(f);
        push(id, Kind::Suspended, Wait::Task, other->rec_id ? other->rec_id - 1 : kNone);
      } else {
        uint32_t label = kNone;
        if (f) {
          push_future_label(L, -1);
          size_t n;
          if (const char* s = lua_tolstring(L, -1, &n)) label = intern_label(std::string_view(s, n));
          lua_pop(L, 1);
        }
        push(id, Kind::Suspended, Wait::Future, label);
      }
      lua_pop(L, 1);
      break;
    }
  }
  if (snapshots_on_) take_snapshot(L, tidx);
}

// (task) -> the text of its call graph now, cut to kMaxSnapshotBytes.
static int snapshot_entry(lua_State* L) {
  push_call_graph(L, 1);  // out of memory only; then the graph is not recorded
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  if (len > Recorder::kMaxSnapshotBytes) {
    size_t cut = Recorder::kMaxSnapshotBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) cut--;  // UTF-8
    lua_pushlstring(L, s, cut);
    lua_pushliteral(L, "\n...\n");
    lua_concat(L, 2);
  }
  return 1;
}

// Records the call graph of the task at tidx for the event just pushed. A
// protected call: the graph is a picture's detail, never a reason to fail
// the program.
void Recorder::take_snapshot(lua_State* L, int tidx) {
  if (snapshot_events_.size() >= kMaxSnapshots) {
    snapshots_dropped_++;
    return;
  }
  tidx = lua_absindex(L, tidx);
  if (!lua_checkstack(L, 3)) return;
  push_fn<snapshot_entry>(L);
  lua_pushvalue(L, tidx);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
    size_t n = 0;
    if (const char* s = lua_tolstring(L, -1, &n)) {
      std::string_view text(s, n);
      auto it = snapshot_index_.find(text);
      uint32_t id;
      if (it != snapshot_index_.end()) {
        id = it->second;
      } else {
        id = static_cast<uint32_t>(snapshots_.size());
        snapshots_.emplace_back(text);
        snapshot_index_.emplace(snapshots_.back(), id);
      }
      snapshot_events_.emplace_back(events_.size() - 1, id);
    }
  }
  lua_pop(L, 1);
}

uint32_t Recorder::snapshot_of(size_t event) const {
  auto it = std::lower_bound(snapshot_events_.begin(), snapshot_events_.end(), std::make_pair(event, uint32_t{0}));
  if (it == snapshot_events_.end() || it->first != event) return kNone;
  return it->second;
}

// Seconds as a user would write them: 2 -> "2s", 0.25 -> "0.25s".
static std::string seconds_text(double s) {
  char buf[48];
  if (s >= 1e-3 || s == 0)
    std::snprintf(buf, sizeof buf, "%.4gs", s);
  else
    std::snprintf(buf, sizeof buf, "%.4gms", s * 1e3);
  return buf;
}

std::string Recorder::describe_wait(const Event& e) const {
  switch (e.wait) {
    case Wait::Yield:
      return "yield";
    case Wait::Sleep:
      return "sleep " + seconds_text(e.delay);
    case Wait::Task:
      return e.ref == kNone ? std::string("await a task") : "await " + tasks_[e.ref].label();
    case Wait::Future:
      return e.ref == kNone ? std::string("future") : labels_[e.ref];
  }
  return "?";
}

uint32_t Recorder::add_task_for_test(const TaskInfo& info) {
  tasks_.push_back(info);
  return static_cast<uint32_t>(tasks_.size() - 1);
}

void Recorder::add_event_for_test(const Event& e) { events_.push_back(e); }

void Recorder::set_span_for_test(double start, double end, bool is_virtual) {
  start_ = start_real_ = start;
  end_ = end_real_ = end;
  virtual_ = is_virtual;
}

// ---------------------------------------------------------------- coroutine calls

static void append_value(lua_State* L, int idx, std::string& out) {
  char buf[64];
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      out += "nil";
      break;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, idx) ? "true" : "false";
      break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(lua_tointeger(L, idx)));
      } else {
        double d = lua_tonumber(L, idx);
        std::snprintf(buf, sizeof buf, "%.14g", d);
        // As Lua prints floats: 2.0, not 2.
        if (std::isfinite(d) && !std::strpbrk(buf, ".eEn")) std::strcat(buf, ".0");
      }
      out += buf;
      break;
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      out += '"';
      size_t keep = n;
      if (n > 16) {
        keep = 13;
        while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) keep--;  // UTF-8
      }
      for (size_t i = 0; i < keep; i++) {
        char c = s[i];
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
          out += ' ';
        else
          out += c;
      }
      if (keep < n) out += "...";
      out += '"';
      break;
    }
    default:
      // The type's __name (asyncio.Lock -> Lock, asyncio.Task -> Task), else
      // the Lua type.
      if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) {
        const char* name = lua_tostring(L, -1);
        if (std::strncmp(name, "asyncio.", 8) == 0) name += 8;
        out += name;
        lua_pop(L, 1);
      } else {
        out += luaL_typename(L, idx);
      }
  }
}

void append_coro_call(lua_State* L, int coro_idx, std::string& out) {
  coro_idx = lua_absindex(L, coro_idx);
  Coro* c = to_coro(L, coro_idx);
  if (!c) {
    out += "?";
    return;
  }
  lua_getiuservalue(L, coro_idx, CORO_UV_NAME);
  out += lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "anonymous";
  lua_pop(L, 1);
  out += '(';
  int n = c->nargs;
  // Trailing nils say nothing (sleep(1) is stored as sleep(1, nil)).
  while (n > 0) {
    int t = lua_getiuservalue(L, coro_idx, CORO_UV_ARG0 + n - 1);
    lua_pop(L, 1);
    if (t != LUA_TNIL) break;
    n--;
  }
  for (int i = 0; i < n && i < 4; i++) {
    if (i) out += ", ";
    lua_getiuservalue(L, coro_idx, CORO_UV_ARG0 + i);
    append_value(L, -1, out);
    lua_pop(L, 1);
  }
  if (n > 4) out += ", ...";
  out += ')';
}

// ---------------------------------------------------------------- options

RecordSession::~RecordSession() {
  if (trace_file) std::fclose(trace_file);
  if (timeline_file) std::fclose(timeline_file);
}

[[noreturn]] static void option_error(lua_State* L, const char* key, const char* expected) {
  luaL_error(L, "bad option '%s' to 'run' (%s expected, got %s)", key, expected, luaL_typename(L, -1));
  __builtin_unreachable();
}

static FILE* open_output(lua_State* L, const char* key, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) luaL_error(L, "bad option '%s' to 'run' (cannot open %s: %s)", key, path.c_str(), std::strerror(errno));
  return f;
}

// The format a path's extension names: .svg, .html (or .htm), else text.
static TimelineFormat format_of_path(const std::string& path) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    if (path.size() < n) return false;
    for (size_t i = 0; i < n; i++)
      if (std::tolower(static_cast<unsigned char>(path[path.size() - n + i])) != ext[i]) return false;
    return true;
  };
  if (ends(".svg")) return TimelineFormat::Svg;
  if (ends(".html") || ends(".htm")) return TimelineFormat::Html;
  return TimelineFormat::Text;
}

bool parse_timeline_format(const std::string& name, TimelineFormat* out) {
  if (name == "text") *out = TimelineFormat::Text;
  else if (name == "svg") *out = TimelineFormat::Svg;
  else if (name == "html") *out = TimelineFormat::Html;
  else return false;
  return true;
}

// The `timeline` option's table form.
static void timeline_table(lua_State* L, int t, RecordOptions& o) {
  static const char* const accepted[] = {"path", "format", "width", "rows", "color", "ascii", nullptr};
  check_options(L, t, "run", accepted, 0, 1, "timeline.");
  if (lua_getfield(L, t, "path") == LUA_TSTRING) {
    o.timeline_path = lua_tostring(L, -1);
    o.format = format_of_path(o.timeline_path);
  } else if (!lua_isnil(L, -1)) {
    option_error(L, "timeline.path", "string");
  }
  lua_pop(L, 1);
  int f = lua_getfield(L, t, "format");
  if (f == LUA_TSTRING) {
    if (!parse_timeline_format(lua_tostring(L, -1), &o.format))
      luaL_error(L, "bad option 'timeline.format' to 'run' (\"text\", \"svg\" or \"html\" expected, got \"%s\")",
                 lua_tostring(L, -1));
  } else if (f != LUA_TNIL) {
    option_error(L, "timeline.format", "string");
  }
  lua_pop(L, 1);
  if (o.format != TimelineFormat::Text && o.timeline_path.empty())
    luaL_error(L, "bad option 'timeline' to 'run' (an SVG or HTML timeline needs a path)");
  if (lua_getfield(L, t, "width") == LUA_TNUMBER)
    o.width = static_cast<int>(lua_tonumber(L, -1));
  else if (!lua_isnil(L, -1))
    option_error(L, "timeline.width", "number");
  lua_pop(L, 1);
  if (lua_getfield(L, t, "rows") == LUA_TNUMBER)
    o.max_rows = static_cast<size_t>(std::max<lua_Number>(1, lua_tonumber(L, -1)));
  else if (!lua_isnil(L, -1))
    option_error(L, "timeline.rows", "number");
  lua_pop(L, 1);
  if (lua_getfield(L, t, "color") == LUA_TBOOLEAN)
    o.color = lua_toboolean(L, -1);
  else if (!lua_isnil(L, -1))
    option_error(L, "timeline.color", "boolean");
  lua_pop(L, 1);
  if (lua_getfield(L, t, "ascii") == LUA_TBOOLEAN)
    o.unicode = !lua_toboolean(L, -1);
  else if (!lua_isnil(L, -1))
    option_error(L, "timeline.ascii", "boolean");
  lua_pop(L, 1);
}

void RunRecording::configure(lua_State* L, int opts) {
  bool given = false;
  if (opts) {
    opts = lua_absindex(L, opts);
    int t = lua_getfield(L, opts, "timeline");
    if (t != LUA_TNIL) given = true;
    if (t == LUA_TBOOLEAN) {
      opts_.timeline = lua_toboolean(L, -1);
    } else if (t == LUA_TSTRING) {
      opts_.timeline = true;
      opts_.timeline_path = lua_tostring(L, -1);
      opts_.format = format_of_path(opts_.timeline_path);
    } else if (t == LUA_TTABLE) {
      opts_.timeline = true;
      timeline_table(L, lua_gettop(L), opts_);
    } else if (t != LUA_TNIL) {
      option_error(L, "timeline", "boolean, path or table");
    }
    lua_pop(L, 1);
    t = lua_getfield(L, opts, "timeline_width");
    if (t == LUA_TNUMBER)
      opts_.width = static_cast<int>(lua_tonumber(L, -1));
    else if (t != LUA_TNIL)
      option_error(L, "timeline_width", "number");
    lua_pop(L, 1);
    t = lua_getfield(L, opts, "trace");
    if (t != LUA_TNIL) given = true;
    if (t == LUA_TSTRING)
      opts_.trace_path = lua_tostring(L, -1);
    else if (t != LUA_TNIL && !(t == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
      option_error(L, "trace", "path");
    lua_pop(L, 1);
  }
  if (!given) {
    std::shared_ptr<RecordSession> s = record_session(L);
    from_session_ = s && s->options.any();
    active_ = from_session_;
    if (from_session_) session_options_ = s->options;
    return;
  }
  active_ = opts_.any();
  if (!opts_.timeline_path.empty()) timeline_file_ = open_output(L, "timeline", opts_.timeline_path);
  if (!opts_.trace_path.empty()) trace_file_ = open_output(L, "trace", opts_.trace_path);
}

RunRecording::~RunRecording() {
  rec_.reset();
  if (timeline_file_) std::fclose(timeline_file_);
  if (trace_file_) std::fclose(trace_file_);
}

void RunRecording::start(Loop* loop) {
  if (!active_) return;
  rec_ = std::make_unique<Recorder>(loop);
  const RecordOptions& o = from_session_ ? session_options_ : opts_;
  rec_->set_snapshots(o.timeline && o.format != TimelineFormat::Text);
}

// Writes text to f; reports a failure on stderr. Closes f.
static bool write_and_close(FILE* f, const std::string& text, const char* what) {
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) std::fprintf(stderr, "luasync: cannot write the %s: %s\n", what, std::strerror(errno));
  return ok;
}

// Closes a trace file written by write_chrome_trace; reports a failure.
static bool close_trace(FILE* f, bool written) {
  int saved = errno;
  bool ok = std::fclose(f) == 0 && written;
  if (!ok) std::fprintf(stderr, "luasync: cannot write the trace: %s\n", std::strerror(written ? errno : saved));
  return ok;
}

void RunRecording::finish(lua_State* L) {
  if (!rec_) return;
  rec_->stop();
  if (from_session_) {
    std::shared_ptr<RecordSession> s = record_session(L);
    if (s) {
      rec_->run_number = static_cast<int>(s->runs.size()) + 1;
      s->runs.push_back(std::move(rec_));
    }
    return;
  }
  if (opts_.timeline) {
    if (timeline_file_) {
      std::string text;
      if (opts_.format == TimelineFormat::Text)
        text = render_timeline(*rec_, timeline_style(opts_, timeline_file_, true));
      else
        text = render_timeline_document({rec_.get()}, opts_.format, opts_.timeline_path);
      write_and_close(timeline_file_, text, "timeline");
      timeline_file_ = nullptr;
    } else {
      print_timeline(*rec_, opts_, stdout, false);
    }
  }
  if (trace_file_) {
    close_trace(trace_file_, write_chrome_trace(trace_file_, {rec_.get()}));
    trace_file_ = nullptr;
  }
  rec_.reset();
}

void print_timeline(const Recorder& rec, const RecordOptions& o, FILE* out, bool to_file) {
  TimelineStyle st = timeline_style(o, out, to_file);
  std::string text = render_timeline(rec, st);
  std::fflush(stdout);
  if (!to_file) std::fputc('\n', out);
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

// ---------------------------------------------------------------- session

bool record_session_start(lua_State* L, const RecordOptions& o, std::string* err) {
  auto s = std::make_shared<RecordSession>();
  s->options = o;
  if (!o.trace_path.empty()) {
    s->trace_file = std::fopen(o.trace_path.c_str(), "w");
    if (!s->trace_file) {
      *err = "--trace: cannot open " + o.trace_path + ": " + std::strerror(errno);
      return false;
    }
  }
  if (!o.timeline_path.empty()) {
    s->timeline_file = std::fopen(o.timeline_path.c_str(), "w");
    if (!s->timeline_file) {
      *err = "--timeline: cannot open " + o.timeline_path + ": " + std::strerror(errno);
      return false;
    }
  }
  set_record_session(L, std::move(s));
  return true;
}

bool record_session_finish(lua_State* L) {
  std::shared_ptr<RecordSession> s = record_session(L);
  if (!s) return true;
  set_record_session(L, nullptr);
  bool ok = true;
  const RecordOptions& o = s->options;
  if (s->runs.size() == 1) s->runs[0]->run_number = 0;  // no "#1" when there is one run
  if (o.timeline && o.format != TimelineFormat::Text) {
    std::vector<const Recorder*> recs;
    for (auto& r : s->runs) recs.push_back(r.get());
    std::string doc = render_timeline_document(recs, o.format, o.program);
    FILE* out = s->timeline_file ? s->timeline_file : stdout;
    bool written = std::fwrite(doc.data(), 1, doc.size(), out) == doc.size();
    if (s->timeline_file) {
      written = std::fclose(s->timeline_file) == 0 && written;
      s->timeline_file = nullptr;
    } else {
      written = std::fflush(out) == 0 && written;
    }
    if (!written) std::fprintf(stderr, "luasync: cannot write the timeline: %s\n", std::strerror(errno));
    ok = written && ok;
  } else if (o.timeline) {
    FILE* out = s->timeline_file ? s->timeline_file : stdout;
    bool to_file = s->timeline_file != nullptr;
    if (s->runs.empty()) {
      std::fflush(stdout);
      std::fputs(to_file ? "" : "\n", out);
      std::fputs("timeline: the program ran no asyncio.run, so there are no tasks to show\n", out);
      std::fflush(out);
    }
    for (auto& r : s->runs) print_timeline(*r, o, out, to_file);
    if (to_file) {
      ok = std::fclose(s->timeline_file) == 0;
      s->timeline_file = nullptr;
      if (!ok) std::fprintf(stderr, "luasync: cannot write the timeline: %s\n", std::strerror(errno));
    }
  }
  if (s->trace_file) {
    std::vector<const Recorder*> recs;
    for (auto& r : s->runs) recs.push_back(r.get());
    ok = close_trace(s->trace_file, write_chrome_trace(s->trace_file, recs)) && ok;
    s->trace_file = nullptr;
  }
  return ok;
}

// The session lives in the registry, in a userdata whose __gc drops it.
static char kSessionKey;

static int session_gc(lua_State* L) {
  static_cast<std::shared_ptr<RecordSession>*>(lua_touserdata(L, 1))->~shared_ptr();
  return 0;
}

std::shared_ptr<RecordSession> record_session(lua_State* L) {
  std::shared_ptr<RecordSession> s;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kSessionKey) == LUA_TUSERDATA)
    s = *static_cast<std::shared_ptr<RecordSession>*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return s;
}

void set_record_session(lua_State* L, std::shared_ptr<RecordSession> s) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kSessionKey) == LUA_TUSERDATA) {
    *static_cast<std::shared_ptr<RecordSession>*>(lua_touserdata(L, -1)) = std::move(s);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (!s) return;
  void* p = lua_newuserdatauv(L, sizeof(std::shared_ptr<RecordSession>), 0);
  new (p) std::shared_ptr<RecordSession>(std::move(s));
  lua_createtable(L, 0, 1);
  push_fn<session_gc>(L);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kSessionKey);
}

static int run_recording_gc(lua_State* L) {
  static_cast<RunRecording*>(lua_touserdata(L, 1))->~RunRecording();
  return 0;
}

static char kRunRecordingMT;

static RunObserver* push_run_recording(lua_State* L) {
  void* p = lua_newuserdatauv(L, sizeof(RunRecording), 0);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kRunRecordingMT) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    push_fn<run_recording_gc>(L);
    lua_setfield(L, -2, "__gc");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kRunRecordingMT);
  }
  lua_setmetatable(L, -2);
  return new (p) RunRecording();  // nothing can raise between this and its __gc
}

void install_run_recording(lua_State* L) { runtime(L)->push_run_observer = push_run_recording; }

}  // namespace luasync
