// Interrupt: a flag another thread raises to end a long wait early (FUSE INTERRUPT: the process
// that made the request got a signal). The waiting side polls raised() between tries or sleeps
// in WaitFor, which Raise ends at once.
//
// Ownership: owned by whoever serves the request (on its stack); pointers to it (e.g. in
// meta::Context) must not outlive that. Thread-safety: all methods.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tierfs {

class Interrupt {
 public:
  void Raise() {
    {
      std::lock_guard lk(mu_);
      raised_ = true;
    }
    cv_.notify_all();
  }
  bool raised() const {
    std::lock_guard lk(mu_);
    return raised_;
  }
  // Sleeps up to `d` (ms) unless raised meanwhile; returns raised().
  bool WaitFor(std::chrono::milliseconds d) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, d, [&] { return raised_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool raised_ = false;
};

}  // namespace tierfs
