// WithRetry: an ObjectStore wrapper that tries a request again when it failed transiently
// (object_store.h's error table: IsTransient), with exponential back-off and full jitter:
//   the wait before retry n (n = 1, 2, ...) is uniform in [0, min(cap, base * 2^(n-1))],
// at most max_tries attempts in all (mount --io-retries), and no attempt starts after
// `deadline` has passed since the first one (a wait that would end after it is not slept).
// Every method retries, all being idempotent (Put replaces the whole object, Delete of a
// missing object succeeds).
//
// Errors: a permanent error (ENOENT, EACCES, EINVAL, ENOSPC, EBADMSG, ...) is returned at once
// and unchanged. When the tries or the deadline run out, the last error keeps its errno and
// its message gets " (gave up after N tries)" appended. Each retry logs a warning naming the
// method, the key and the error.
//
// Model: the AWS "full jitter" back-off; JuiceFS retries every error, linearly (research notes
// section 4), which costs seconds on a corrupt object and hammers a throttling server.
// Ownership: owns `inner`; policy.sleeper is not owned and must outlive the store.
// Thread-safety: as the inner store (the jitter source is locked).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "object/object_store.h"
#include "util/sleeper.h"

namespace tierfs::object {

struct RetryPolicy {
  int max_tries = 10;  // attempts in all, first included; < 1 counts as 1 (--io-retries)
  // Why 100 ms and 10 s: with 10 tries the waits average ~16 s in all (at most ~33 s), about
  // JuiceFS's read retries (13.5 s), while a throttled server sees the load fall off quickly.
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{10'000};
  std::chrono::milliseconds deadline{0};  // 0 = none: only max_tries bounds the retries
  Sleeper* sleeper = RealSleeper();       // the back-off's clock and sleep
  uint64_t seed = 0;                      // of the jitter; 0 = from std::random_device
};

// True for the errnos object_store.h calls transient: ETIMEDOUT, the connection errors,
// EAGAIN, EBUSY, EIO.
bool IsTransient(int code);

// The upper bound of the wait before retry n (n >= 1): min(cap, base * 2^(n-1)).
std::chrono::nanoseconds BackoffCeiling(const RetryPolicy& policy, int retry);

std::unique_ptr<ObjectStore> WithRetry(std::unique_ptr<ObjectStore> inner, RetryPolicy policy);

}  // namespace tierfs::object
