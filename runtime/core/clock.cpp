// clock.cpp: the real clock on libuv's high-resolution monotonic timer.
#include "clock.h"

#include <uv.h>

namespace luasync {

double monotonic_seconds() { return static_cast<double>(uv_hrtime()) / 1e9; }

RealClock::RealClock(double start) : offset_(start - monotonic_seconds()) {}

double RealClock::now() const { return monotonic_seconds() + offset_; }

}  // namespace luasync
