// TokenBucket: a rate limit in units per second (bytes, for --upload-limit/--download-limit),
// as JuiceFS's github.com/juju/ratelimit bucket: tokens accrue at `rate` per second up to
// `capacity`; the bucket starts full. Wait(n) takes n tokens, and when fewer are there it
// sleeps until they would have accrued. A request larger than the capacity is allowed (the
// bucket goes into debt and the next callers wait for it), so a 4 MiB block passes a bucket
// of 100 KiB; over any long interval the rate holds.
//
// Reservations are made under a lock and slept outside it: concurrent callers queue up by
// reserving further into the future, and nobody sleeps holding the lock.
// Thread-safety: all methods may be called concurrently. `sleeper` is not owned and must
// outlive the bucket.
#pragma once

#include <cstdint>
#include <mutex>

#include "util/sleeper.h"

namespace tierfs {

class TokenBucket {
 public:
  // REQUIRES: rate > 0, capacity >= 1.
  TokenBucket(double rate, int64_t capacity, Sleeper* sleeper = RealSleeper());

  // Takes n tokens (n >= 0), sleeping as long as needed first.
  void Wait(int64_t n);
  // Takes n tokens and returns how long the caller must wait before using them (zero when
  // they were there); Wait is Reserve + SleepFor.
  SteadyClock::duration Reserve(int64_t n);

  double rate() const { return rate_; }
  int64_t capacity() const { return capacity_; }

 private:
  const double rate_;  // tokens per second
  const int64_t capacity_;
  Sleeper* const sleeper_;
  std::mutex mu_;
  double tokens_;  // may be negative: tokens promised to callers that are still sleeping
  SteadyClock::time_point last_;
};

}  // namespace tierfs
