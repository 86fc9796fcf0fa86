// timeline_svg.cpp: a recording as a picture (see recorder.h): an SVG chart,
// and a self-contained HTML page around one or more of them.
//
//   asyncio.run timeline: 4 tasks, 3.000 s on the virtual clock
//              0s          1s          2s          3s
//   main()     ▮/////////////gather/////////////////▮
//     worker A ▮/////sleep 2s//////////▮
//   ...
//
// One row per task, in the text chart's tree order (timeline_layout.h), on
// the loop's clock. Running steps are solid bars, waits hatched thinner ones
// (labelled with what they wait on where the label fits), a failure is a red
// cross and a cancellation an orange slashed circle at the task's end. On
// the virtual clock a step takes no time: it is drawn 3 px wide, and its
// <title> says what it really cost.
//
// Every piece of bar has a <title> (the browser shows it on hover) and data
// attributes for pages that do more (timeline.js): data-task (the task's
// index in the recording), data-kind (run or wait), data-snap (the index of
// the call-graph snapshot taken when that wait began, or when that run
// ended by waiting) or data-note (what to say when there is none).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "embedded_lua.h"
#include "recorder.h"
#include "timeline_layout.h"

namespace luasync {

namespace {

constexpr int kRowH = 26;      // a row
constexpr int kRunH = 16;      // a running step's bar
constexpr int kWaitH = 8;      // a wait's bar
constexpr int kTop = 58;       // title and axis above the first row
constexpr int kRight = 24;     // room after the end of the axis
constexpr double kCharW = 7.3; // width of a monospace character at 12 px
constexpr double kMinRun = 3;  // a step that takes no time still shows

void xml_escape(std::string& out, const std::string& s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out += c;
    }
  }
}

std::string esc(const std::string& s) {
  std::string out;
  xml_escape(out, s);
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

size_t chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A piece of a task's bar.
struct Segment {
  double from, to;
  bool run;
  size_t why;  // wait: its Suspended event; run: the event that ended it (npos: none yet)
};
constexpr size_t kNoEvent = static_cast<size_t>(-1);

struct Track {
  std::vector<Segment> segs;
  double last = 0;
  bool running = false;
  size_t why = kNoEvent;  // the Suspended event of the wait in progress
  double real_begin = 0;  // real time the running step began
  std::vector<double> real;  // real seconds of each run segment (parallel to the run segments)
  bool ended = false;
};

class SvgChart {
 public:
  SvgChart(const Recorder& rec, const SvgTimelineStyle& st) : rec_(rec), st_(st) {}
  // The chart as an <svg> element; *height gets its height.
  std::string render(int* height);

 private:
  double x(double t) const {
    if (span_ <= 0) return left_;
    return left_ + (t - t0_) / span_ * plot_w_;
  }
  std::string time_text(double t) const {
    return timeline::fixed((t - t0_) / unit_.scale, unit_.decimals) + " " + unit_.name;
  }
  std::string real_text(double s) const;
  void step(Track& tr, size_t i, const Recorder::Event& e) const;
  void axis(std::string& out, int bottom) const;
  void row(std::string& out, const timeline::Row& r, const Track& tr, int y) const;

  const Recorder& rec_;
  const SvgTimelineStyle& st_;
  double t0_ = 0, t1_ = 0, span_ = 0;
  timeline::Unit unit_{1, "s", 3};
  double left_ = 0, plot_w_ = 0;
};

std::string SvgChart::real_text(double s) const {
  char buf[48];
  if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f us", s * 1e6);
  return buf;
}

// One event of a row's task: closes the run or wait in progress.
void SvgChart::step(Track& tr, size_t i, const Recorder::Event& e) const {
  using K = Recorder::Kind;
  if (tr.ended) return;
  switch (e.kind) {
    case K::Created:
      tr.last = e.time;
      tr.running = false;
      tr.why = kNoEvent;
      break;
    case K::Started:
    case K::Resumed:
      tr.segs.push_back({tr.last, e.time, false, tr.why});
      tr.last = e.time;
      tr.running = true;
      tr.real_begin = e.real;
      break;
    case K::Suspended:
      tr.segs.push_back({tr.last, e.time, true, i});
      tr.real.push_back(e.real - tr.real_begin);
      tr.last = e.time;
      tr.running = false;
      tr.why = i;
      break;
    case K::Finished:
    case K::Cancelled:
    case K::Failed:
      tr.segs.push_back({tr.last, e.time, tr.running, tr.running ? i : tr.why});
      if (tr.running) tr.real.push_back(e.real - tr.real_begin);
      tr.ended = true;
      break;
  }
}

void SvgChart::axis(std::string& out, int bottom) const {
  double step = span_ > 0 ? timeline::nice_step(span_ * 90 / std::max(1.0, plot_w_)) : 1;
  out += "<g class=\"lt-axis\">";
  for (int k = 0;; k++) {
    double t = k * step;
    if (t > span_ * (1 + 1e-9) && k > 0) break;
    double px = x(t0_ + t);
    char label[48];
    std::snprintf(label, sizeof label, "%.6g%s", t / unit_.scale, unit_.name);
    out += "<line class=\"lt-grid\" x1=\"" + num(px) + "\" y1=\"" + std::to_string(kTop - 12) + "\" x2=\"" + num(px) +
           "\" y2=\"" + std::to_string(bottom) + "\"/>";
    out += "<text x=\"" + num(px) + "\" y=\"" + std::to_string(kTop - 18) + "\" text-anchor=\"middle\">" + label +
           "</text>";
    if (span_ <= 0) break;
  }
  out += "</g>";
}

void SvgChart::row(std::string& out, const timeline::Row& r, const Track& tr, int y) const {
  const auto& info = rec_.tasks()[r.task];
  std::string task = std::to_string(r.task);
  std::string label = info.label();
  std::string who = "Task-" + std::to_string(info.number) + " " + info.call;
  if (!info.name.empty() && info.name != "Task-" + std::to_string(info.number)) who = info.name + " (" + who + ")";
  const char* outcome = info.outcome == Recorder::Outcome::Failed      ? "failed"
                        : info.outcome == Recorder::Outcome::Cancelled ? "cancelled"
                        : info.outcome == Recorder::Outcome::Finished  ? "finished"
                                                                       : "pending";
  std::string ending = info.ended < 0 ? "still pending when the recording ended"
                                      : std::string(outcome) + " at " + time_text(info.ended);
  if (info.outcome == Recorder::Outcome::Failed) ending += ": " + info.error;

  out += "<g class=\"lt-row lt-" + std::string(outcome) + "\" data-task=\"" + task + "\">";
  // The name, indented under the task that created it.
  double indent = 8 + 12.0 * std::min(r.depth, 6);
  size_t room = static_cast<size_t>(std::max(4.0, (left_ - indent - 10) / kCharW));
  std::string shown = label;
  if (chars(shown) > room) {
    std::string cut;
    size_t n = 0;
    for (size_t i = 0; i < shown.size() && n + 1 < room; i++) {
      cut += shown[i];
      if (i + 1 < shown.size() && (static_cast<unsigned char>(shown[i + 1]) & 0xC0) == 0x80) continue;
      n++;
    }
    shown = cut + "\u2026";
  }
  out += "<text class=\"lt-name\" x=\"" + num(indent) + "\" y=\"" + std::to_string(y + 17) + "\">" + esc(shown) +
         "<title>" + esc(who + ": created at " + time_text(info.created) + ", " + ending) + "</title></text>";
  if (info.ended < 0) {
    // A faint line to the right edge: it went on after the recording.
    out += "<line class=\"lt-pending\" x1=\"" + num(x(t1_)) + "\" y1=\"" + std::to_string(y + 13) + "\" x2=\"" +
           num(x(t1_) + 14) + "\" y2=\"" + std::to_string(y + 13) + "\"/>";
  }
  // Waits first, so that the steps are drawn over them.
  size_t run_index = 0;
  std::vector<size_t> run_at(tr.segs.size(), 0);
  for (size_t k = 0; k < tr.segs.size(); k++)
    if (tr.segs[k].run) run_at[k] = run_index++;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t k = 0; k < tr.segs.size(); k++) {
      const Segment& s = tr.segs[k];
      if (s.run != (pass == 1)) continue;
      if (!s.run && s.to <= s.from) continue;  // a wait that took no time: nothing to draw
      double x0 = x(s.from), x1 = x(s.to);
      double w = x1 - x0;
      std::string tip, note;
      uint32_t snap = Recorder::kNone;
      if (s.run) {
        if (w < kMinRun) {
          x0 -= (kMinRun - w) / 2;
          w = kMinRun;
        }
        tip = label + ": running " + time_text(s.from);
        if (s.to > s.from) tip += " to " + time_text(s.to);
        if (rec_.virtual_clock() && run_at[k] < tr.real.size())
          tip += " (a step of " + real_text(tr.real[run_at[k]]) + " real time)";
        if (s.why != kNoEvent && rec_.events()[s.why].kind == Recorder::Kind::Suspended) {
          tip += ", then waits on " + rec_.describe_wait(rec_.events()[s.why]);
          snap = rec_.snapshot_of(s.why);
        } else if (s.why != kNoEvent) {
          tip += ", then " + ending;
          note = who + " " + ending + ".";
        } else {
          note = who + " was running when the recording ended.";
        }
      } else {
        tip = label + ": waiting " + time_text(s.from) + " to " + time_text(s.to);
        if (s.why != kNoEvent) {
          tip += " on " + rec_.describe_wait(rec_.events()[s.why]);
          snap = rec_.snapshot_of(s.why);
        } else {
          tip += " for its first turn (created, not started yet)";
          note = who + " was created at " + time_text(info.created) +
                 " and waits for the event loop to give it its first turn.";
        }
      }
      if (snap == Recorder::kNone && note.empty())
        note = rec_.snapshots_on() ? "(no call graph was recorded for this moment)"
                                   : "(this recording has no call graphs)";
      int h = s.run ? kRunH : kWaitH;
      int top = y + (kRowH - h) / 2;
      out += std::string("<rect class=\"lt-seg ") + (s.run ? "lt-run" : "lt-wait") + "\" data-kind=\"" +
             (s.run ? "run" : "wait") + "\" data-task=\"" + task + "\" data-from=\"" +
             timeline::fixed((s.from - t0_) / unit_.scale, unit_.decimals) + "\" data-to=\"" +
             timeline::fixed((s.to - t0_) / unit_.scale, unit_.decimals) + "\"";
      if (snap != Recorder::kNone)
        out += " data-snap=\"" + std::to_string(snap) + "\"";
      else
        out += " data-note=\"" + esc(note) + "\"";
      out += " x=\"" + num(x0) + "\" y=\"" + std::to_string(top) + "\" width=\"" + num(std::max(w, 0.5)) +
             "\" height=\"" + std::to_string(h) + "\"><title>" + esc(tip) + "</title></rect>";
      // What it waits on, inside the wait where it fits.
      if (!s.run && s.why != kNoEvent && rec_.events()[s.why].wait != Recorder::Wait::Yield) {
        std::string what = rec_.describe_wait(rec_.events()[s.why]);
        if (w >= chars(what) * 6.0 + 16)
          out += "<text class=\"lt-wait-label\" x=\"" + num(x0 + w / 2) + "\" y=\"" + std::to_string(y + 8) +
                 "\" text-anchor=\"middle\">" + esc(what) + "</text>";
      }
    }
  }
  // How it ended.
  if (info.ended >= 0 && (info.outcome == Recorder::Outcome::Failed || info.outcome == Recorder::Outcome::Cancelled)) {
    bool failed = info.outcome == Recorder::Outcome::Failed;
    std::string cx = num(x(info.ended)), cy = std::to_string(y + kRowH / 2);
    out += std::string("<g class=\"lt-mark ") + (failed ? "lt-mark-failed" : "lt-mark-cancelled") +
           "\" data-task=\"" + task + "\" data-note=\"" + esc(who + " " + ending) + "\" transform=\"translate(" + cx +
           "," + cy + ")\"><circle r=\"7\"/>";
    out += failed ? "<path d=\"M-3.5,-3.5L3.5,3.5M3.5,-3.5L-3.5,3.5\"/>" : "<path d=\"M-4,4L4,-4\"/>";
    out += "<title>" + esc(label + " " + ending) + "</title></g>";
  }
  out += "</g>";
}

const char* kStyle =
    ".lt-chart{background:#fff}"
    ".lt-title{font:600 14px system-ui,sans-serif;fill:#0f172a}"
    ".lt-axis text{font:11px system-ui,sans-serif;fill:#475569}"
    ".lt-grid{stroke:#e2e8f0;stroke-width:1}"
    ".lt-name{font:12px ui-monospace,'DejaVu Sans Mono',monospace;fill:#0f172a}"
    ".lt-run{fill:#2563eb}"
    ".lt-wait{stroke:#94a3b8;stroke-width:.6}"
    ".lt-seg{cursor:pointer}"
    ".lt-seg:hover,.lt-seg.lt-selected{stroke:#0f172a;stroke-width:1.5}"
    ".lt-wait-label{font:10px system-ui,sans-serif;fill:#334155;pointer-events:none}"
    ".lt-mark circle{stroke:#fff;stroke-width:1.5}"
    ".lt-mark path{stroke:#fff;stroke-width:2;stroke-linecap:round}"
    ".lt-mark-failed circle{fill:#dc2626}"
    ".lt-mark-cancelled circle{fill:#d97706}"
    ".lt-failed .lt-name{fill:#b91c1c}"
    ".lt-cancelled .lt-name{fill:#b45309}"
    ".lt-pending{stroke:#94a3b8;stroke-dasharray:2 2}"
    ".lt-legend{font:11px system-ui,sans-serif;fill:#334155}"
    ".lt-more{font:italic 11px system-ui,sans-serif;fill:#475569}";

std::string SvgChart::render(int* height) {
  const auto& tasks = rec_.tasks();
  t0_ = rec_.start_time();
  t1_ = timeline::chart_end(rec_);
  span_ = t1_ - t0_;
  unit_ = timeline::unit_for(span_);
  timeline::Rows rows = timeline::order_rows(rec_, st_.max_rows);

  int width = std::max(320, st_.width);
  size_t longest = 4;
  for (const auto& r : rows.rows)
    longest = std::max(longest, chars(tasks[r.task].label()) + 2 * static_cast<size_t>(std::min(r.depth, 6)));
  left_ = std::clamp(16 + longest * kCharW, 120.0, width * 0.4);
  plot_w_ = width - left_ - kRight;

  // The bars, painted in one pass over the events.
  std::vector<int> row_of(tasks.size(), -1);
  for (size_t i = 0; i < rows.rows.size(); i++) row_of[rows.rows[i].task] = static_cast<int>(i);
  std::vector<Track> tracks(rows.rows.size());
  for (size_t i = 0; i < rows.rows.size(); i++) tracks[i].last = tasks[rows.rows[i].task].created;
  const auto& events = rec_.events();
  for (size_t i = 0; i < events.size(); i++) {
    const auto& e = events[i];
    if (e.task < tasks.size() && row_of[e.task] >= 0) step(tracks[row_of[e.task]], i, e);
  }
  for (Track& tr : tracks)  // still pending: up to the end
    if (!tr.ended) tr.segs.push_back({tr.last, t1_, tr.running, tr.running ? kNoEvent : tr.why});

  std::string title = st_.title;
  if (title.empty()) {
    title = "asyncio.run";
    if (rec_.run_number > 0) title += " #" + std::to_string(rec_.run_number);
    title += " timeline: " + std::to_string(tasks.size()) + (tasks.size() == 1 ? " task, " : " tasks, ") +
             timeline::fixed(span_ / unit_.scale, unit_.decimals) + " " + unit_.name + " on the " +
             (rec_.virtual_clock() ? "virtual" : "real") + " clock";
  }
  int rows_h = static_cast<int>(rows.rows.size()) * kRowH;
  int bottom = kTop + rows_h;
  int h = bottom + (rows.hidden ? 22 : 0) + 34;
  *height = h;

  std::string out;
  out.reserve(4096 + rows.rows.size() * 1024);
  std::string id = esc(st_.id);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lt-chart\" width=\"" + std::to_string(width) +
         "\" height=\"" + std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(h) +
         "\" role=\"img\" aria-label=\"" + esc(title) + "\" data-tasks=\"" + std::to_string(tasks.size()) +
         "\" data-rows=\"" + std::to_string(rows.rows.size()) + "\" data-unit=\"" + unit_.name + "\">";
  out += "<title>" + esc(title) + "</title>";
  out += std::string("<style>") + kStyle + ".lt-wait{fill:url(#" + id + "-hatch)}</style>";
  out += "<defs><pattern id=\"" + id +
         "-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
         "<rect width=\"5\" height=\"5\" fill=\"#e2e8f0\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" "
         "stroke=\"#94a3b8\" stroke-width=\"2\"/></pattern></defs>";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  out += "<text class=\"lt-title\" x=\"8\" y=\"20\">" + esc(title) + "</text>";
  if (tasks.empty()) {
    out += "<text class=\"lt-more\" x=\"8\" y=\"" + std::to_string(kTop) + "\">(no tasks)</text></svg>";
    return out;
  }
  axis(out, bottom);
  for (size_t i = 0; i < rows.rows.size(); i++) row(out, rows.rows[i], tracks[i], kTop + static_cast<int>(i) * kRowH);
  int y = bottom;
  if (rows.hidden) {
    std::string more = "... and " + std::to_string(rows.hidden) + " more task" + (rows.hidden == 1 ? "" : "s");
    if (rows.hidden_failed || rows.hidden_cancelled)
      more += " (" + std::to_string(rows.hidden_failed) + " failed, " + std::to_string(rows.hidden_cancelled) +
              " cancelled)";
    out += "<text class=\"lt-more\" x=\"8\" y=\"" + std::to_string(y + 16) + "\">" + more + "</text>";
    y += 22;
  }
  // Legend.
  int ly = y + 14;
  out += "<g class=\"lt-legend\" transform=\"translate(8," + std::to_string(ly) + ")\">";
  out += "<rect class=\"lt-run\" x=\"0\" y=\"-4\" width=\"16\" height=\"12\"/><text x=\"22\" y=\"6\">running</text>";
  out += "<rect class=\"lt-wait\" x=\"84\" y=\"-2\" width=\"16\" height=\"8\"/><text x=\"106\" y=\"6\">waiting</text>";
  out += "<g class=\"lt-mark lt-mark-failed\" transform=\"translate(176,2)\"><circle r=\"6\"/>"
         "<path d=\"M-3,-3L3,3M3,-3L-3,3\"/></g><text x=\"188\" y=\"6\">failed</text>";
  out += "<g class=\"lt-mark lt-mark-cancelled\" transform=\"translate(246,2)\"><circle r=\"6\"/>"
         "<path d=\"M-3.5,3.5L3.5,-3.5\"/></g><text x=\"258\" y=\"6\">cancelled</text>";
  out += std::string("<text x=\"336\" y=\"6\">(times in ") + unit_.name + "; hover a bar for what it awaits";
  if (rec_.snapshots_on()) out += ", click it for its call graph";
  out += ")</text></g>";
  out += "</svg>";
  return out;
}

// "</" inside a <script> element would end it.
std::string script_safe(std::string json) {
  for (size_t i = 0; (i = json.find("</", i)) != std::string::npos; i += 3) json.replace(i, 2, "<\\/");
  return json;
}

std::string embedded_web_file(const char* name) {
  for (const EmbeddedChunk* c = embedded_runtime_web(); c && c->name; c++)
    if (std::string(c->name) == name) return std::string(c->code, c->size);
  return "";
}

}  // namespace

std::string render_timeline_svg(const Recorder& rec, const SvgTimelineStyle& style) {
  int h = 0;
  std::string svg = SvgChart(rec, style).render(&h);
  if (!style.standalone) return svg;
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n";
}

std::string render_timeline_svg(const std::vector<const Recorder*>& recs, const SvgTimelineStyle& style) {
  if (recs.size() == 1) return render_timeline_svg(*recs[0], style);
  int width = std::max(320, style.width);
  std::string body;
  int y = 0;
  if (recs.empty()) {
    body = "<text x=\"8\" y=\"20\" style=\"font:14px system-ui,sans-serif\">timeline: the program ran no "
           "asyncio.run, so there are no tasks to show</text>";
    y = 32;
  }
  for (size_t i = 0; i < recs.size(); i++) {
    SvgTimelineStyle st = style;
    st.id = style.id + std::to_string(i + 1);
    int h = 0;
    std::string svg = SvgChart(*recs[i], st).render(&h);
    // Nested: the inner <svg> placed at its offset.
    svg.insert(4, " y=\"" + std::to_string(y) + "\"");
    body += svg;
    y += h + 8;
  }
  std::string out = style.standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(y) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(y) + "\">" + body +
         "</svg>\n";
  return out;
}

std::string timeline_snapshots_json(const Recorder& rec) {
  std::string out = "[";
  bool first = true;
  for (const auto& s : rec.snapshots()) {
    if (!first) out += ",";
    first = false;
    append_json_string(out, s);
  }
  out += "]";
  return script_safe(std::move(out));
}

const std::string& timeline_script() {
  static const std::string s = embedded_web_file("timeline.js");
  return s;
}

const std::string& timeline_stylesheet() {
  static const std::string s = embedded_web_file("timeline.css");
  return s;
}

std::string render_timeline_html(const std::vector<const Recorder*>& recs, const std::string& title) {
  std::string name = title.empty() ? "luasync" : title;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      esc(name) + " \u2014 luasync timeline</title>\n<style>\n" + timeline_stylesheet() +
      "</style>\n</head>\n<body class=\"lt-page\">\n<h1>" + esc(name) + "</h1>\n";
  if (recs.empty())
    out += "<p>The program ran no <code>asyncio.run</code>, so there are no tasks to show.</p>\n";
  for (size_t i = 0; i < recs.size(); i++) {
    SvgTimelineStyle st;
    st.id = "lt" + std::to_string(i + 1);
    st.standalone = false;
    out += "<section class=\"lt-section\">\n" + render_timeline_svg(*recs[i], st) +
           "\n<script type=\"application/json\" class=\"lt-snapshots\">" + timeline_snapshots_json(*recs[i]) +
           "</script>\n</section>\n";
  }
  out += "<p class=\"lt-help\">Hover a bar to see what the task was waiting on; click it to see the task's call "
         "graph at that moment. Made by <code>luasync --timeline=html</code>.</p>\n<script>\n" + timeline_script() +
         "</script>\n</body>\n</html>\n";
  return out;
}

std::string render_timeline_document(const std::vector<const Recorder*>& recs, TimelineFormat format,
                                     const std::string& title) {
  if (format == TimelineFormat::Html) return render_timeline_html(recs, title);
  SvgTimelineStyle st;
  return render_timeline_svg(recs, st);
}

}  // namespace luasync
