#include "util/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace tierfs {

TokenBucket::TokenBucket(double rate, int64_t capacity, Sleeper* sleeper)
    : rate_(rate),
      capacity_(std::max<int64_t>(1, capacity)),
      sleeper_(sleeper),
      tokens_(static_cast<double>(capacity_)),
      last_(sleeper->Now()) {}

SteadyClock::duration TokenBucket::Reserve(int64_t n) {
  std::lock_guard lock(mu_);
  SteadyClock::time_point now = sleeper_->Now();
  if (now > last_) {
    double accrued = std::chrono::duration<double>(now - last_).count() * rate_;
    tokens_ = std::min(static_cast<double>(capacity_), tokens_ + accrued);
    last_ = now;
  }
  tokens_ -= static_cast<double>(std::max<int64_t>(0, n));
  if (tokens_ >= 0) return SteadyClock::duration::zero();
  // Rounded up, so that a caller that sleeps exactly this long finds its tokens there.
  return std::chrono::ceil<SteadyClock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
}

void TokenBucket::Wait(int64_t n) { sleeper_->SleepFor(Reserve(n)); }

}  // namespace tierfs
