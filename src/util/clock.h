// Clocks. Wall time for what is stored or shown (inode times, log lines), as seconds + nanos
// like struct timespec and the JuiceFS attr fields; steady time for intervals and timeouts,
// which must not jump when the wall clock is set.
//
// Thread-safety: pure functions.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace tierfs {

struct WallTime {
  int64_t sec = 0;   // since the Unix epoch
  uint32_t nsec = 0;  // 0..999'999'999
  friend auto operator<=>(const WallTime&, const WallTime&) = default;
};

inline WallTime Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return WallTime{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

using SteadyClock = std::chrono::steady_clock;

// Measures elapsed steady time from construction (or the last Reset()).
class Stopwatch {
 public:
  Stopwatch() : start_(SteadyClock::now()) {}
  void Reset() { start_ = SteadyClock::now(); }
  SteadyClock::duration Elapsed() const { return SteadyClock::now() - start_; }
  // For latency histograms, which are in seconds.
  double ElapsedSeconds() const { return std::chrono::duration<double>(Elapsed()).count(); }

 private:
  SteadyClock::time_point start_;
};

}  // namespace tierfs
