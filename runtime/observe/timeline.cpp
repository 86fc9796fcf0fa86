// timeline.cpp: the terminal Gantt chart of a recording (see recorder.h).
//
//   asyncio.run timeline: 4 tasks, 3.000 s on the virtual clock
//   task              start    end  0s        1s        2s        3s
//                                   |         |         |         |
//   main()            0.000  3.000  █─────────────gather──────────█
//     worker("A", 2)  0.000  2.000  █──────sleep 2s──────█
//   ...
//   █ running  ─ waiting  ✗ failed  ⊘ cancelled  (times in s)
//
// One row per task, in tree order (a task under the task that created it),
// on the loop's clock. Time t is drawn at column round(t / span * (W - 1))
// of the bar area, so a zero-length step (every step on the virtual clock)
// still shows as one cell, and a task that ends at 1 s ends under the "1s"
// tick. Waits are labelled with what they wait on where the label fits.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "recorder.h"
#include "timeline_layout.h"

namespace luasync {

namespace {

enum Cls : uint8_t { kBlank, kWait, kRun, kText, kFail, kCancel };

struct Glyphs {
  const char* run;
  const char* wait;
  const char* fail;
  const char* cancel;
  const char* more;  // marks cut text
};
const Glyphs kUnicode{"\u2588", "\u2500", "\u2717", "\u2298", "\u2026"};
const Glyphs kAscii{"#", "-", "X", "/", "~"};

const char* color_of(Cls c) {
  switch (c) {
    case kRun: return "\x1b[32m";
    case kWait: return "\x1b[90m";
    case kText: return "\x1b[36m";
    case kFail: return "\x1b[1;31m";
    case kCancel: return "\x1b[1;33m";
    default: return "";
  }
}
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kDim = "\x1b[90m";

// Display width of UTF-8 text: one column per code point.
size_t width_of(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) w++;
  return w;
}

// The UTF-8 code points of s, one string each.
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) n++;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// s cut or padded to exactly w columns.
std::string fit(const std::string& s, size_t w, const Glyphs& g, bool right = false) {
  size_t have = width_of(s);
  if (have <= w) {
    std::string pad(w - have, ' ');
    return right ? pad + s : s + pad;
  }
  if (w == 0) return "";
  std::string out;
  auto cps = code_points(s);
  for (size_t i = 0; i + 1 < w; i++) out += cps[i];
  return out + g.more;
}

// Breaks plain text into lines of at most w columns, at spaces where it can;
// lines after the first are indented by `indent` columns.
std::vector<std::string> wrap(const std::string& text, size_t w, size_t indent) {
  std::vector<std::string> out;
  auto cps = code_points(text);
  size_t i = 0;
  while (i < cps.size()) {
    size_t room = out.empty() ? w : w - indent;
    if (cps.size() - i <= room) {
      room = cps.size() - i;
    } else {
      size_t cut = room;
      while (cut > room / 2 && cps[i + cut] != " ") cut--;
      if (cps[i + cut] == " ") room = cut;
    }
    std::string line = out.empty() ? "" : std::string(indent, ' ');
    for (size_t k = 0; k < room; k++) line += cps[i + k];
    out.push_back(line);
    i += room;
    while (i < cps.size() && cps[i] == " ") i++;
  }
  if (out.empty()) out.push_back("");
  return out;
}

using timeline::fixed;
using timeline::nice_step;
using timeline::Row;
using timeline::Unit;
using timeline::unit_for;

// A row's bar, painted while the events are read in one pass (a long
// recording is never held twice in memory).
struct Bar {
  std::vector<std::string> cell;
  std::vector<Cls> cls;
  double last = 0;     // when the current run or wait began
  Cls mode = kWait;    // running or waiting since `last`
  const Recorder::Event* why = nullptr;  // the Suspended event of the wait
  bool ended = false;
  struct Label {
    int lo, hi;
    const Recorder::Event* why;
  };
  std::vector<Label> labels;  // waits wide enough for their label
};

class Chart {
 public:
  Chart(const Recorder& rec, const TimelineStyle& st)
      : rec_(rec), st_(st), g_(st.unicode ? kUnicode : kAscii) {}
  std::string render();

 private:
  int col(double t) const {
    if (span_ <= 0) return 0;
    long c = std::lround((t - t0_) / span_ * (bar_w_ - 1));
    return static_cast<int>(std::clamp<long>(c, 0, bar_w_ - 1));
  }
  std::string colored(const std::string& s, const char* color) const {
    return st_.color && *color ? color + s + kReset : s;
  }
  std::string time_text(double t) const { return fixed((t - t0_) / unit_.scale, unit_.decimals); }
  void order_rows();
  void paint(Bar& b, Cls cls, double from, double to, const Recorder::Event* why) const;
  void step(Bar& b, const Recorder::Event& e) const;
  std::string finish(Bar& b, uint32_t task) const;
  std::string axis_labels(std::string* ruler) const;

  const Recorder& rec_;
  const TimelineStyle& st_;
  const Glyphs& g_;
  double t0_ = 0, t1_ = 0, span_ = 0;
  Unit unit_{1, "s", 3};
  int bar_w_ = 0;
  std::vector<Row> rows_;
  size_t hidden_ = 0, hidden_failed_ = 0, hidden_cancelled_ = 0;
};

void Chart::order_rows() {
  timeline::Rows r = timeline::order_rows(rec_, st_.max_rows);
  rows_ = std::move(r.rows);
  hidden_ = r.hidden;
  hidden_failed_ = r.hidden_failed;
  hidden_cancelled_ = r.hidden_cancelled;
}

// Paints a run (over anything) or a wait (over blanks only) from..to; notes
// where a wait's label could go.
void Chart::paint(Bar& b, Cls cls, double from, double to, const Recorder::Event* why) const {
  int c0 = col(from), c1 = col(to);
  for (int c = c0; c <= c1; c++) {
    if (cls == kRun) {
      b.cell[c] = g_.run;
      b.cls[c] = kRun;
    } else if (b.cls[c] == kBlank) {
      b.cell[c] = g_.wait;
      b.cls[c] = kWait;
    }
  }
  if (cls == kWait && why && why->wait != Recorder::Wait::Yield && c1 - c0 - 1 >= 6)
    b.labels.push_back({c0 + 1, c1 - 1, why});
}

// One event of the row's task: closes the run or wait in progress.
void Chart::step(Bar& b, const Recorder::Event& e) const {
  using K = Recorder::Kind;
  if (b.ended) return;
  switch (e.kind) {
    case K::Created:
      b.last = e.time;
      b.mode = kWait;
      b.why = nullptr;
      break;
    case K::Started:
    case K::Resumed:
      paint(b, kWait, b.last, e.time, b.why);
      b.last = e.time;
      b.mode = kRun;
      b.why = nullptr;
      break;
    case K::Suspended:
      paint(b, kRun, b.last, e.time, nullptr);
      b.last = e.time;
      b.mode = kWait;
      b.why = &e;
      break;
    case K::Finished:
    case K::Cancelled:
    case K::Failed:
      paint(b, b.mode, b.last, e.time, b.why);
      b.ended = true;
      break;
  }
}

// Labels where they fit, the ending's mark, and the row's text.
std::string Chart::finish(Bar& b, uint32_t task) const {
  const auto& info = rec_.tasks()[task];
  if (!b.ended) paint(b, b.mode, b.last, t1_, b.why);  // still pending
  // Labels inside the waits they describe, where they fit between the steps
  // at both ends with a cell to spare on each side.
  for (const auto& l : b.labels) {
    auto cps = code_points(rec_.describe_wait(*l.why));
    int w = static_cast<int>(cps.size());
    if (l.hi - l.lo + 1 < w + 2) continue;
    bool clear = true;
    for (int c = l.lo; c <= l.hi; c++) clear = clear && b.cls[c] == kWait;
    if (!clear) continue;
    int start = l.lo + (l.hi - l.lo + 1 - w) / 2;
    for (int i = 0; i < w; i++) {
      b.cell[start + i] = cps[i];
      b.cls[start + i] = kText;
    }
  }
  if (info.ended >= 0 && info.outcome == Recorder::Outcome::Failed) {
    b.cell[col(info.ended)] = g_.fail;
    b.cls[col(info.ended)] = kFail;
  } else if (info.ended >= 0 && info.outcome == Recorder::Outcome::Cancelled) {
    b.cell[col(info.ended)] = g_.cancel;
    b.cls[col(info.ended)] = kCancel;
  }
  // Trailing blanks are dropped; colours change only between runs of a class.
  int last = bar_w_ - 1;
  while (last >= 0 && b.cls[last] == kBlank) last--;
  std::string out;
  Cls cur = kBlank;
  for (int c = 0; c <= last; c++) {
    if (st_.color && b.cls[c] != cur) {
      if (cur != kBlank) out += kReset;
      out += color_of(b.cls[c]);
      cur = b.cls[c];
    }
    out += b.cell[c];
  }
  if (st_.color && cur != kBlank) out += kReset;
  return out;
}

// The tick labels above the bar area, and the ruler line under them.
std::string Chart::axis_labels(std::string* ruler) const {
  std::string labels(bar_w_, ' ');
  ruler->assign(bar_w_, ' ');
  double step = span_ > 0 ? nice_step(span_ * 8 / std::max(1, bar_w_ - 1)) : 1;
  const Unit& u = unit_;  // the unit of the time columns
  int free_from = 0;  // first column a label may use
  for (int k = 0;; k++) {
    double t = k * step;
    if (t > span_ * (1 + 1e-9)) break;
    int c = col(t0_ + t);
    char num[32];
    std::snprintf(num, sizeof num, "%.6g", t / u.scale);
    std::string text = std::string(num) + u.name;
    (*ruler)[c] = '|';
    int w = static_cast<int>(text.size());
    int at = std::min(c, bar_w_ - w);
    if (at < free_from || at < 0) continue;
    labels.replace(at, w, text);
    free_from = at + w + 1;
    if (span_ <= 0) break;
  }
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  while (!ruler->empty() && ruler->back() == ' ') ruler->pop_back();
  return labels;
}

std::string Chart::render() {
  const auto& tasks = rec_.tasks();
  t0_ = rec_.start_time();
  t1_ = timeline::chart_end(rec_);
  span_ = t1_ - t0_;
  unit_ = unit_for(span_);
  order_rows();

  // Columns: name, start, end, bar.
  int width = std::max(30, st_.width);
  std::vector<std::string> names, starts, ends;
  size_t name_w = 4, start_w = 5, end_w = 3;
  for (const Row& r : rows_) {
    const auto& info = tasks[r.task];
    names.push_back(std::string(2 * std::min(r.depth, 4), ' ') + info.label());
    starts.push_back(time_text(info.created));
    ends.push_back(info.ended >= 0 ? time_text(info.ended) : "-");
    name_w = std::max(name_w, width_of(names.back()));
    start_w = std::max(start_w, starts.back().size());
    end_w = std::max(end_w, ends.back().size());
  }
  name_w = std::min(name_w, static_cast<size_t>(std::max(12, width / 3)));
  bool show_times = true;
  bar_w_ = width - static_cast<int>(name_w + start_w + end_w + 6);
  if (bar_w_ < 16) {
    show_times = false;
    bar_w_ = width - static_cast<int>(name_w) - 2;
  }
  if (bar_w_ < 10) {
    name_w = static_cast<size_t>(std::max(6, width - 12));
    bar_w_ = width - static_cast<int>(name_w) - 2;
  }
  std::string left_pad(name_w + 2 + (show_times ? start_w + end_w + 4 : 0), ' ');

  std::string out;
  // Title.
  std::string title = st_.title;
  if (title.empty()) {
    title = "asyncio.run";
    if (rec_.run_number > 0) title += " #" + std::to_string(rec_.run_number);
    title += " timeline: " + std::to_string(tasks.size()) + (tasks.size() == 1 ? " task, " : " tasks, ") +
             fixed(span_ / unit_.scale, unit_.decimals) + " " + unit_.name + " on the " +
             (rec_.virtual_clock() ? "virtual" : "real") + " clock";
  }
  if (st_.title.empty() && width_of(title) > static_cast<size_t>(width))
    title = "timeline: " + std::to_string(tasks.size()) + (tasks.size() == 1 ? " task, " : " tasks, ") +
            fixed(span_ / unit_.scale, unit_.decimals) + " " + unit_.name + ", " +
            (rec_.virtual_clock() ? "virtual" : "real") + " clock";
  title = fit(title, std::min(width_of(title), static_cast<size_t>(width)), g_);
  out += (st_.color ? kBold + title + kReset : title) + "\n";
  if (tasks.empty()) return out + "(no tasks)\n";

  // Header and ruler.
  std::string ruler;
  std::string labels = axis_labels(&ruler);
  std::string head = fit("task", name_w, g_) + "  ";
  if (show_times) head += fit("start", start_w, g_, true) + "  " + fit("end", end_w, g_, true) + "  ";
  out += head + labels + "\n";
  out += left_pad + colored(ruler, kDim) + "\n";

  // Rows: the bars are painted in one pass over the events.
  std::vector<int> row_of(tasks.size(), -1);
  for (size_t i = 0; i < rows_.size(); i++) row_of[rows_[i].task] = static_cast<int>(i);
  std::vector<Bar> bars(rows_.size());
  for (size_t i = 0; i < rows_.size(); i++) {
    bars[i].cell.assign(bar_w_, " ");
    bars[i].cls.assign(bar_w_, kBlank);
    bars[i].last = tasks[rows_[i].task].created;
  }
  for (const auto& e : rec_.events())
    if (e.task < tasks.size() && row_of[e.task] >= 0) step(bars[row_of[e.task]], e);
  for (size_t i = 0; i < rows_.size(); i++) {
    std::string line = fit(names[i], name_w, g_) + "  ";
    if (show_times) line += fit(starts[i], start_w, g_, true) + "  " + fit(ends[i], end_w, g_, true) + "  ";
    line += finish(bars[i], rows_[i].task);
    out += line + "\n";
  }
  if (hidden_) {
    out += "... and " + std::to_string(hidden_) + " more task" + (hidden_ == 1 ? "" : "s");
    if (hidden_failed_ || hidden_cancelled_)
      out += " (" + std::to_string(hidden_failed_) + " failed, " + std::to_string(hidden_cancelled_) +
             " cancelled)";
    out += "\n";
  }

  // Legend, on as many lines as the width needs.
  struct Item {
    std::string text;
    size_t w;
  };
  std::vector<Item> legend = {
      {colored(g_.run, color_of(kRun)) + " running", 9},
      {colored(g_.wait, color_of(kWait)) + " waiting", 9},
      {colored(g_.fail, color_of(kFail)) + " failed", 8},
      {colored(g_.cancel, color_of(kCancel)) + " cancelled", 11},
      {std::string("(times in ") + unit_.name + ")", 11 + std::strlen(unit_.name)},
  };
  size_t used = 0;
  for (const Item& it : legend) {
    if (used && used + 2 + it.w > static_cast<size_t>(width)) {
      out += "\n";
      used = 0;
    }
    if (used) out += "  ";
    out += it.text;
    used += (used ? 2 : 0) + it.w;
  }
  out += "\n";

  // Notes: how the tasks shown failed or were cancelled.
  size_t notes = 0;
  for (const Row& r : rows_) {
    const auto& info = tasks[r.task];
    std::string at = " at " + time_text(info.ended) + " " + unit_.name;
    std::string glyph, note;
    if (info.outcome == Recorder::Outcome::Failed) {
      glyph = colored(g_.fail, color_of(kFail));
      note = info.label() + " failed" + at + ": " + info.error;
    } else if (info.outcome == Recorder::Outcome::Cancelled) {
      glyph = colored(g_.cancel, color_of(kCancel));
      note = info.label() + " cancelled" + at;
    } else if (info.ended < 0) {
      glyph = " ";
      note = info.label() + " was still pending when the recording ended";
    } else {
      continue;
    }
    if (++notes > 10) {
      out += "  ...\n";
      break;
    }
    auto lines = wrap(note, static_cast<size_t>(width) - 2, 0);
    out += glyph + " " + lines[0] + "\n";
    for (size_t k = 1; k < lines.size(); k++) out += "  " + lines[k] + "\n";
  }
  return out;
}

// Is the locale's character set (LC_ALL, LC_CTYPE, LANG, the first set)
// something other than UTF-8? "C" and unset count as UTF-8: terminals
// today are, whatever a minimal container's locale says.
bool locale_not_utf8() {
  for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    const char* dot = std::strchr(v, '.');
    if (!dot) return false;
    std::string cs = dot + 1;
    for (char& c : cs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return cs.rfind("utf-8", 0) != 0 && cs.rfind("utf8", 0) != 0;
  }
  return false;
}

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

namespace timeline {

// Iterative, for deep chains.
Rows order_rows(const Recorder& rec, size_t max_rows) {
  Rows out;
  const auto& tasks = rec.tasks();
  std::vector<std::vector<uint32_t>> children(tasks.size());
  std::vector<uint32_t> roots;
  for (uint32_t i = 0; i < tasks.size(); i++) {
    uint32_t p = tasks[i].parent;
    if (p != Recorder::kNone && p < i)
      children[p].push_back(i);
    else
      roots.push_back(i);
  }
  std::vector<Row> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({*it, 0});
  while (!stack.empty()) {
    Row r = stack.back();
    stack.pop_back();
    if (out.rows.size() < max_rows) {
      out.rows.push_back(r);
    } else {
      out.hidden++;
      if (tasks[r.task].outcome == Recorder::Outcome::Failed) out.hidden_failed++;
      if (tasks[r.task].outcome == Recorder::Outcome::Cancelled) out.hidden_cancelled++;
    }
    const auto& ch = children[r.task];
    for (auto it = ch.rbegin(); it != ch.rend(); ++it) stack.push_back({*it, r.depth + 1});
  }
  return out;
}

Unit unit_for(double seconds) {
  if (seconds >= 1) return {1, "s", 3};
  if (seconds >= 1e-3) return {1e-3, "ms", 3};
  return {1e-6, "us", 1};
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double nice_step(double x) {
  double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x * (1 - 1e-9)) return m * p;
  return 10 * p;
}

double chart_end(const Recorder& rec) {
  double t1 = rec.end_time();
  for (const auto& e : rec.events()) t1 = std::max(t1, e.time);
  return t1;
}

}  // namespace timeline

std::string render_timeline(const Recorder& rec, const TimelineStyle& style) {
  return Chart(rec, style).render();
}

TimelineStyle timeline_style(const RecordOptions& o, FILE* out, bool to_file) {
  TimelineStyle st;
  st.max_rows = o.max_rows;
  int fd = out ? fileno(out) : -1;
  bool tty = !to_file && fd >= 0 && isatty(fd);
  st.width = 80;
  if (o.width > 0) {
    st.width = o.width;
  } else if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) {
    st.width = std::atoi(c);
  } else if (tty) {
    struct winsize ws {};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) st.width = ws.ws_col;
  }
  st.width = std::clamp(st.width, 30, 1000);
  if (o.color >= 0)
    st.color = o.color;
  else if (to_file || (std::getenv("NO_COLOR") && *std::getenv("NO_COLOR")))
    st.color = false;
  else
    st.color = env_on("FORCE_COLOR") || tty;
  if (o.unicode >= 0) {
    st.unicode = o.unicode;
  } else {
    const char* term = std::getenv("TERM");
    st.unicode = !env_on("LUASYNC_ASCII") && !(term && std::strcmp(term, "dumb") == 0) && !locale_not_utf8();
  }
  return st;
}

}  // namespace luasync
