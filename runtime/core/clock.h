// clock.h: the loop's clock, injected at loop creation.
//
// RealClock reads the monotonic clock. VirtualClock starts at 0 and moves only
// when told: the loop jumps it to the next timer when nothing else can make
// progress, and time.sleep() advances it as if the loop had been blocked.
// Both can start from a given reading, so that a loop can switch from one to
// the other without its time jumping (Loop::set_clock_virtual).
#pragma once

namespace luasync {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds; monotonic. Real: since an arbitrary point; virtual: since start.
  virtual double now() const = 0;
  virtual bool is_virtual() const = 0;
  // Virtual only: move time forward to `t` (never backwards).
  virtual void advance_to(double t) = 0;
};

class RealClock final : public Clock {
 public:
  RealClock() = default;
  // A real clock that reads `start` now, then moves with the monotonic clock.
  explicit RealClock(double start);
  double now() const override;
  bool is_virtual() const override { return false; }
  void advance_to(double) override {}

 private:
  double offset_ = 0.0;  // added to the monotonic clock
};

class VirtualClock final : public Clock {
 public:
  VirtualClock() = default;
  explicit VirtualClock(double start) : t_(start) {}
  double now() const override { return t_; }
  bool is_virtual() const override { return true; }
  void advance_to(double t) override {
    if (t > t_) t_ = t;
  }

 private:
  double t_ = 0.0;
};

// The real monotonic clock in seconds (uv_hrtime based), for measurements
// that must not follow the virtual clock (slow-callback detection).
double monotonic_seconds();

}  // namespace luasync
