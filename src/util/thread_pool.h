// A fixed-size thread pool with a bounded queue, and a WaitGroup.
//
// Submit() blocks while the queue is full: producers slow down to the pool's pace instead of
// queueing without bound (uploads, deletes, warmup). Stop() refuses new tasks, runs every
// task already queued, and joins the workers; the destructor calls it.
//
// Tasks must not throw (an escaping exception terminates the process, as in any noexcept
// code of tierfs). A task must not Submit() to its own pool when the queue may be full: with
// every worker blocked there, nothing would drain it.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "util/status.h"

namespace tierfs {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1, queue_capacity >= 1.
  ThreadPool(size_t threads, size_t queue_capacity);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`, waiting for room. ESHUTDOWN (task dropped) once Stop() has begun, also
  // for a caller that was waiting for room when it began.
  Status Submit(std::function<void()> task);
  // Like Submit but never waits: EAGAIN when the queue is full.
  Status TrySubmit(std::function<void()> task);
  // Runs what is queued, then joins. Idempotent; must not be called from a task.
  void Stop();

  size_t threads() const { return workers_.size(); }
  // Tasks queued and not yet started.
  size_t queued() const;

 private:
  void Work();
  const size_t capacity_;
  std::mutex stop_mu_;  // serialises Stop(), so every caller returns after the join
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Counts outstanding work; Wait() returns when the count is zero (Go's sync.WaitGroup).
class WaitGroup {
 public:
  void Add(size_t n = 1);
  // REQUIRES: a matching Add.
  void Done();
  void Wait();

 private:
  std::mutex mu_;
  std::condition_variable zero_;
  size_t count_ = 0;
};

}  // namespace tierfs
