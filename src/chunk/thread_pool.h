// ThreadPool: a fixed number of threads running submitted tasks in FIFO order. Used for block
// uploads (`--max-uploads` threads) and read-ahead in chunk/.
//
// The destructor runs every task already submitted, then joins. Tasks must not throw.
// Thread-safety: Submit may be called concurrently, also from inside a task.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tierfs::chunk {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);
  // Tasks submitted but not yet started.
  size_t queued() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tierfs::chunk
