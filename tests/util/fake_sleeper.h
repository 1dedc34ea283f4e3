// FakeSleeper: a Sleeper whose clock moves only when someone sleeps on it (or Advance() is
// called): SleepFor(d) adds d to Now() and returns at once, and records d. Tests of back-off
// and rate limits read the sleeps instead of waiting for them.
// Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <mutex>
#include <vector>

#include "util/sleeper.h"

namespace tierfs {

class FakeSleeper final : public Sleeper {
 public:
  SteadyClock::time_point Now() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void SleepFor(SteadyClock::duration d) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(d);
    if (d > SteadyClock::duration::zero()) now_ += d;
  }
  void Advance(SteadyClock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  // Every SleepFor argument so far, in call order (zero and negative ones included).
  std::vector<SteadyClock::duration> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  // The sum of the positive sleeps.
  SteadyClock::duration slept() {
    std::lock_guard lock(mu_);
    SteadyClock::duration total{};
    for (auto d : sleeps_) {
      if (d > SteadyClock::duration::zero()) total += d;
    }
    return total;
  }

 private:
  std::mutex mu_;
  SteadyClock::time_point now_{};  // the epoch of steady_clock: tests use differences only
  std::vector<SteadyClock::duration> sleeps_;
};

}  // namespace tierfs
