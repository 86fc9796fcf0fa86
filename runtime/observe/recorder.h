// recorder.h: a record of what every task of a loop did, for timelines
// (timeline.cpp) and Chrome traces (chrome_trace.cpp).
//
// While a Recorder is attached to a loop (Loop::recorder), the task runner
// reports each task's life to it: created, started, each suspension and on
// what (a sleep and its delay, another task, a labelled future such as
// "lock" or "read", a bare yield), resumed, and how it ended (finished,
// cancelled, failed). Each event carries the loop's clock time and the real
// monotonic time, so that a run on the virtual clock still shows what each
// step really cost. When no recorder is attached the runner pays one
// pointer test per hook.
//
// The hooks are called by task.cpp only:
//   push_new_task  -> task_created   (the task is on the stack)
//   task_step      -> step_begin     (right before lua_resume)
//   task_step      -> step_end       (after the step's outcome is settled:
//                                     the task is done, or waiting, or
//                                     scheduled again)
// A task's suspension is read from its state after the step (Task::waiting,
// Task::wake_at, UV_WAITER), so the scheduler itself needs no other change.
//
// Recording options (asyncio.run's `timeline`/`trace` options and the
// interpreter's --timeline/--trace/--width) are parsed here too, and the
// recordings the interpreter prints at exit wait in the runtime's
// RecordSession.
#pragma once

#include <lua.hpp>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "observer.h"

namespace luasync {

class Loop;
struct Task;

class Recorder final : public TaskObserver {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  enum class Kind : uint8_t { Created, Started, Suspended, Resumed, Finished, Cancelled, Failed };
  // What a suspended task waits on.
  enum class Wait : uint8_t {
    Yield,   // nothing: scheduled again at once (sleep(0), a future already done)
    Sleep,   // a timer: `delay` seconds
    Task,    // another task: `ref` is its index in tasks() (kNone: not recorded)
    Future,  // a future: `ref` is its label's index in labels() (kNone: no label)
  };
  enum class Outcome : uint8_t { Pending, Finished, Cancelled, Failed };

  struct Event {
    double time;    // the loop's clock
    double real;    // monotonic seconds (equal to `time` on the real clock)
    uint32_t task;  // index in tasks()
    Kind kind;
    Wait wait;      // Suspended only
    union {
      double delay;  // Wait::Sleep
      uint32_t ref;  // Wait::Task, Wait::Future
    };
  };

  struct TaskInfo {
    uint64_t number = 0;          // Task-<number>
    std::string name;             // the name given to the task, "" for the default
    std::string call;             // the coroutine call: worker("A", 2)
    uint32_t parent = kNone;      // index of the task that created it
    double created = 0;
    double started = -1;          // -1: never started
    double ended = -1;            // -1: still pending when recording stopped
    Outcome outcome = Outcome::Pending;
    std::string error;            // Failed: the error, one line
    // The name shown for the task: its own name, else the call.
    const std::string& label() const { return name.empty() ? call : name; }
  };

  // Starts recording loop's tasks (attaches itself as loop->observer).
  explicit Recorder(Loop* loop);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Stops recording (idempotent; also when the loop is gone).
  void stop();
  bool stopped() const { return loop_ == nullptr; }

  // --- hooks (TaskObserver: task.cpp) ---
  void task_created(lua_State* L, int tidx, Task* t, int coro_idx) override;
  void step_begin(Task* t) override;
  void step_end(lua_State* L, int tidx, Task* t) override;

  // --- the record ---
  const std::vector<TaskInfo>& tasks() const { return tasks_; }
  // In the order they happened. A deque: it grows without copying, so a
  // long recording never needs twice its size.
  const std::deque<Event>& events() const { return events_; }
  const std::string& label(uint32_t i) const { return labels_[i]; }
  bool virtual_clock() const { return virtual_; }
  double start_time() const { return start_; }
  double end_time() const { return end_; }
  double start_real() const { return start_real_; }
  double end_real() const { return end_real_; }
  // Which asyncio.run of the interpreter's session this is (1, 2, ...);
  // 0: not numbered (the only one).
  int run_number = 0;
  // "sleep 2s", "await worker B", "lock", ... for a Suspended event.
  std::string describe_wait(const Event& e) const;

  // Call-graph snapshots, for pictures one can click (timeline_svg.cpp):
  // while on, each suspension also records the task's call graph at that
  // moment (format_call_graph: its stack, what it awaits down to the leaf,
  // who awaits it). At most kMaxSnapshots per recording, each cut to
  // kMaxSnapshotBytes; equal texts are stored once.
  static constexpr size_t kMaxSnapshots = 5000;
  static constexpr size_t kMaxSnapshotBytes = 8192;
  void set_snapshots(bool on) { snapshots_on_ = on; }
  bool snapshots_on() const { return snapshots_on_; }
  // The snapshot taken at events()[event], as an index into snapshots(), or kNone.
  uint32_t snapshot_of(size_t event) const;
  const std::deque<std::string>& snapshots() const { return snapshots_; }
  // Snapshots not taken because the cap was reached.
  size_t snapshots_dropped() const { return snapshots_dropped_; }

  // For tests: record an event by hand (the loop clock is not read).
  uint32_t add_task_for_test(const TaskInfo& info);
  void add_event_for_test(const Event& e);
  void set_span_for_test(double start, double end, bool is_virtual);

 private:
  void push(uint32_t task, Kind kind, Wait wait = Wait::Yield, uint32_t ref = 0, double delay = 0);
  uint32_t intern_label(std::string_view s);
  void take_snapshot(lua_State* L, int tidx);

  Loop* loop_;
  bool virtual_ = false;
  double start_ = 0, end_ = 0, start_real_ = 0, end_real_ = 0;
  std::vector<TaskInfo> tasks_;
  std::deque<Event> events_;
  std::deque<std::string> labels_;  // a deque: label_index_ holds views into it
  std::unordered_map<std::string_view, uint32_t> label_index_;
  bool snapshots_on_ = false;
  std::vector<std::pair<size_t, uint32_t>> snapshot_events_;  // (event index, snapshot), in event order
  std::deque<std::string> snapshots_;                         // a deque: snapshot_index_ holds views
  std::unordered_map<std::string_view, uint32_t> snapshot_index_;
  size_t snapshots_dropped_ = 0;
};

// Appends a short rendering of the coroutine call at idx to out:
// `worker("A", 2)` (strings quoted and cut, tables as their type, at most
// four arguments).
void append_coro_call(lua_State* L, int coro_idx, std::string& out);

// ---------------------------------------------------------------- rendering

// The forms a timeline is written in.
enum class TimelineFormat { Text, Svg, Html };

// How to draw a timeline (timeline.cpp).
struct TimelineStyle {
  int width = 80;         // columns in all
  bool color = false;     // ANSI colours
  bool unicode = true;    // box-drawing glyphs, else ASCII
  size_t max_rows = 60;   // tasks shown; the rest are summarised
  std::string title;      // first line ("" : a default one)
};

// The Gantt chart of a recording: one row per task.
std::string render_timeline(const Recorder& rec, const TimelineStyle& style);

// How to draw a timeline as SVG (timeline_svg.cpp).
struct SvgTimelineStyle {
  int width = 960;        // pixels (the picture scales: it has a viewBox)
  size_t max_rows = 200;  // tasks shown; the rest are summarised
  std::string title;      // "" : a default one
  std::string id = "lt";  // prefix of the element ids (several charts in one page)
  bool standalone = true; // an SVG document (XML declaration) rather than an element for a page
};

// The chart of a recording as SVG: a bar per task on the time axis, running
// and waiting shaded differently, failures and cancellations marked, and on
// every piece of bar a <title> (shown on hover) saying what the task awaited
// then. Each piece carries data-task and, when the recording has one, the
// index of its call-graph snapshot (data-snap), for pages that show it on a
// click (timeline.js).
std::string render_timeline_svg(const Recorder& rec, const SvgTimelineStyle& style);
// Several recordings (one per asyncio.run) stacked in one SVG document.
std::string render_timeline_svg(const std::vector<const Recorder*>& recs, const SvgTimelineStyle& style);
// A self-contained HTML page with the charts of recs, their call-graph
// snapshots, and the script that shows what a bar awaits on hover and the
// task's call graph on a click. `title` names the program.
std::string render_timeline_html(const std::vector<const Recorder*>& recs, const std::string& title);
// The snapshots of rec as a JSON array of strings (what data-snap indexes),
// safe to put inside a <script> element.
std::string timeline_snapshots_json(const Recorder& rec);
// The script and style sheet that make a chart interactive in a page
// (runtime/observe/web/timeline.js and timeline.css, compiled into the binary).
const std::string& timeline_script();
const std::string& timeline_stylesheet();
// The SVG or HTML document of recs (several runs stack up); `title` names
// the program.
std::string render_timeline_document(const std::vector<const Recorder*>& recs, TimelineFormat format,
                                     const std::string& title);
// "text", "svg" or "html"; false for anything else.
bool parse_timeline_format(const std::string& name, TimelineFormat* out);
// Appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
void append_json_string(std::string& out, const std::string& s);

// A Chrome trace event format document (JSON) of one or more recordings,
// one process per recording (chrome_trace.cpp): as a string, or written to
// f as it is made (returns false if a write failed; f stays open).
std::string chrome_trace_json(const std::vector<const Recorder*>& recs);
bool write_chrome_trace(FILE* f, const std::vector<const Recorder*>& recs);

// ---------------------------------------------------------------- options

// Where a recording goes once its run ends.
struct RecordOptions {
  bool timeline = false;
  TimelineFormat format = TimelineFormat::Text;
  std::string timeline_path;  // "": stdout
  std::string trace_path;     // "": no trace
  std::string program;        // the script, for the title of an HTML timeline
  int width = 0;              // 0: the terminal's (COLUMNS, the tty), else 80
  int color = -1;             // -1: auto (a tty, no NO_COLOR; FORCE_COLOR forces), 0 no, 1 yes
  int unicode = -1;           // -1: auto (LUASYNC_ASCII, TERM=dumb, the locale), 0 no, 1 yes
  size_t max_rows = 60;
  bool any() const { return timeline || !trace_path.empty(); }
};

// The interpreter's recording session (luasync --timeline/--trace): every
// asyncio.run that sets no recording option of its own records, and the
// recordings are written when the program ends (record_session_finish).
struct RecordSession {
  RecordOptions options;
  std::vector<std::unique_ptr<Recorder>> runs;
  FILE* trace_file = nullptr;     // opened by record_session_start
  FILE* timeline_file = nullptr;  // idem, when options.timeline_path is set
  ~RecordSession();
};

// The recording of one asyncio.run:
//   RunRecording rec;
//   rec.configure(L, opts);  // before the run: reads the options, opens files
//   rec.start(loop);         // once the loop exists
//   ...run, loop_shutdown...
//   rec.finish(L);           // writes the timeline / trace
class RunRecording final : public RunObserver {
 public:
  RunRecording() = default;
  ~RunRecording() override;
  RunRecording(const RunRecording&) = delete;
  RunRecording& operator=(const RunRecording&) = delete;

  // Reads `timeline` (true, a path, or a table {path=, format=, width=,
  // color=, ascii=, rows=}), `timeline_width` and `trace` (a path) from the options
  // table at opts (0: none). Without any of them the run follows the
  // interpreter's session, if there is one. Opens the files now, so that a
  // bad option or path raises before the run starts.
  void configure(lua_State* L, int opts) override;
  bool active() const { return active_; }
  // Attaches a recorder to the loop (nothing if not active).
  void start(Loop* loop) override;
  // Stops recording; writes the timeline and the trace, or hands the
  // recording to the session. Never raises; a failed write is reported on
  // stderr.
  void finish(lua_State* L) override;
  Recorder* recorder() const { return rec_.get(); }

 private:
  bool active_ = false;
  bool from_session_ = false;
  RecordOptions opts_;
  RecordOptions session_options_;  // the session's, when the run follows it
  FILE* timeline_file_ = nullptr;
  FILE* trace_file_ = nullptr;
  std::unique_ptr<Recorder> rec_;
};

// Writes the chart of rec to out, which is stdout or a file (to_file), as
// the options say; a blank line before it on stdout.
void print_timeline(const Recorder& rec, const RecordOptions& o, FILE* out, bool to_file);
// The TimelineStyle for printing to out under o (the terminal's width and
// capabilities, the environment).
TimelineStyle timeline_style(const RecordOptions& o, FILE* out, bool to_file);

// The interpreter: turns the session on (opens the output files so that a
// bad path fails before the program runs; *err says why), and at the end
// writes every recording (timelines after the program's output). Both
// return false on failure.
bool record_session_start(lua_State* L, const RecordOptions& o, std::string* err);
bool record_session_finish(lua_State* L);
// The state's session (kept in its registry), or nullptr; setting nullptr
// drops it. (The interpreter uses the two functions above; tests use these.)
std::shared_ptr<RecordSession> record_session(lua_State* L);
void set_record_session(lua_State* L, std::shared_ptr<RecordSession> s);

// Makes asyncio.run record in the state L (Runtime::push_run_observer):
// called when the asyncio module is put together.
void install_run_recording(lua_State* L);

}  // namespace luasync
