// MemoryBudget: a byte budget for write buffers (`--buffer-size`). Acquire blocks while the
// budget is exhausted (back-pressure: writers wait for uploads to free memory instead of the
// process growing); Release returns bytes and wakes waiters.
//
// A single request larger than the whole budget is granted when nothing else is held, so it
// cannot wait forever. Callers must not hold, while blocked in Acquire, anything that the code
// releasing memory (uploads) needs.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace tierfs::chunk {

class MemoryBudget {
 public:
  // `on_change(delta)` (optional) is called with every change of used(), e.g. to feed a gauge.
  explicit MemoryBudget(uint64_t limit, std::function<void(int64_t)> on_change = {})
      : limit_(limit), on_change_(std::move(on_change)) {}

  // Blocks until `bytes` fit (used() + bytes <= limit, or nothing is used), then takes them.
  void Acquire(uint64_t bytes);
  // Takes `bytes` if they fit now; false otherwise.
  bool TryAcquire(uint64_t bytes);
  // REQUIRES: bytes <= used().
  void Release(uint64_t bytes);

  uint64_t used() const;
  uint64_t limit() const { return limit_; }
  // Threads currently blocked in Acquire.
  int waiters() const;
  // Blocks until at least `n` threads are blocked in Acquire (for tests: no sleeps).
  void WaitForWaiters(int n) const;

 private:
  bool Fits(uint64_t bytes) const { return used_ == 0 || used_ + bytes <= limit_; }

  const uint64_t limit_;
  std::function<void(int64_t)> on_change_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  mutable std::condition_variable waiting_;
  uint64_t used_ = 0;
  int waiters_ = 0;
};

}  // namespace tierfs::chunk
