// Sleeper: the steady clock and the sleep of code that waits on purpose (retry back-off, rate
// limits), as one seam, so that tests substitute a fake clock whose SleepFor only advances
// Now() and never really sleep (tests/util/fake_sleeper.h).
//
// Thread-safety: implementations must allow concurrent calls; RealSleeper() is a process-wide
// object that lives until exit.
#pragma once

#include <chrono>
#include <thread>

#include "util/clock.h"

namespace tierfs {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual SteadyClock::time_point Now() = 0;
  // Returns after `d` has passed on this clock; at once when d <= 0.
  virtual void SleepFor(SteadyClock::duration d) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_for.
inline Sleeper* RealSleeper() {
  class Real final : public Sleeper {
   public:
    SteadyClock::time_point Now() override { return SteadyClock::now(); }
    void SleepFor(SteadyClock::duration d) override {
      if (d > SteadyClock::duration::zero()) std::this_thread::sleep_for(d);
    }
  };
  static Real real;
  return &real;
}

}  // namespace tierfs
