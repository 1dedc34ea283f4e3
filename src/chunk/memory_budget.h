// MemoryBudget: the byte budget of write buffers (`--buffer-size`). Charging never blocks:
// writers throttle *before* they copy (FileWriter waits in Check/WaitForChange), never in the
// middle of filling a block. (Blocking inside a copy deadlocked: writers that each held a
// partially filled block waited for budget while no upload was in flight to free any.) So the
// limit is soft: it is exceeded by at most what the writes already admitted are copying.
//
// Bytes move through three states: charged (a buffer being filled), draining (handed to an
// upload: StartDrain), gone (FinishDrain, or Release of a dropped buffer). Check() tells a
// writer whether there is room, whether waiting will make room (uploads in flight), or whether
// only committing buffered slices can (every charged byte sits in a buffer being filled).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace tierfs::chunk {

class MemoryBudget {
 public:
  // What a writer about to copy should do.
  enum class State {
    kRoom,      // used < limit: write
    kDraining,  // over the limit, but uploads in flight will bring it under: wait
    kFull,      // over the limit even without what is draining: buffered slices must be
                // committed (their partial blocks uploaded) before waiting can help
  };

  // `on_change(delta)` (optional) is called with every change of used(), e.g. to feed a gauge.
  explicit MemoryBudget(uint64_t limit, std::function<void(int64_t)> on_change = {})
      : limit_(limit), on_change_(std::move(on_change)) {}

  // Takes `bytes` (may exceed the limit; never blocks).
  void Charge(uint64_t bytes);
  // Returns charged bytes whose buffer was dropped. REQUIRES: bytes <= used() - draining().
  void Release(uint64_t bytes);
  // `bytes` of charged memory are on their way out (an upload started).
  void StartDrain(uint64_t bytes);
  // ... and out (the upload ended): they leave the budget.
  void FinishDrain(uint64_t bytes);

  State Check() const;
  // Blocks until something changes (a Release, StartDrain or FinishDrain) or `max` passes.
  void WaitForChange(std::chrono::milliseconds max) const;

  uint64_t used() const;
  uint64_t draining() const;
  uint64_t limit() const { return limit_; }
  // Threads currently in WaitForChange.
  int waiters() const;
  // Blocks until at least `n` threads are in WaitForChange (for tests: no sleeps).
  void WaitForWaiters(int n) const;

 private:
  void Changed(int64_t delta);

  const uint64_t limit_;
  std::function<void(int64_t)> on_change_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  mutable std::condition_variable waiting_;
  uint64_t used_ = 0;
  uint64_t draining_ = 0;
  uint64_t version_ = 0;  // bumped by every change, for WaitForChange
  mutable int waiters_ = 0;
};

}  // namespace tierfs::chunk
