// timeline_layout.h: what the text chart (timeline.cpp) and the SVG chart
// (timeline_svg.cpp) of a recording share: the order of the rows, the unit
// times are shown in, and the steps of the time axis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "embedded_lua.h"
#include "recorder.h"

namespace luasync {
// observe/web/* (the timeline's script and style sheet), as text.
const EmbeddedChunk* embedded_runtime_web();
}  // namespace luasync

namespace luasync::timeline {

struct Row {
  uint32_t task;  // index in Recorder::tasks()
  int depth;      // 0 for a task nobody in the recording created
};

struct Rows {
  std::vector<Row> rows;  // at most max_rows
  size_t hidden = 0, hidden_failed = 0, hidden_cancelled = 0;  // the tasks left out
};

// Tree order: each task right after the task that created it (siblings in
// creation order), at most max_rows rows.
Rows order_rows(const Recorder& rec, size_t max_rows);

// The unit times are shown in, chosen from the span of the chart.
struct Unit {
  double scale;  // seconds per unit
  const char* name;
  int decimals;
};
Unit unit_for(double seconds);

// The smallest of 1, 2, 5 times a power of ten that is >= x.
double nice_step(double x);

// v with that many decimals.
std::string fixed(double v, int decimals);

// The end of the chart: the end of the recording or its last event.
double chart_end(const Recorder& rec);

}  // namespace luasync::timeline
