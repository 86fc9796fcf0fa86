// clock.cpp: the real clock on libuv's high-resolution monotonic timer.
#include "clock.h"

#include <uv.h>

namespace luasync {

double monotonic_seconds() { return static_cast<double>(uv_hrtime()) / 1e9; }

double RealClock::now() const { return monotonic_seconds(); }

}  // namespace luasync
