#include "util/thread_pool.h"

#include <cassert>

namespace tierfs {

ThreadPool::ThreadPool(size_t threads, size_t queue_capacity)
    : capacity_(queue_capacity == 0 ? 1 : queue_capacity) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() { Stop(); }

Status ThreadPool::Submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return stopping_ || queue_.size() < capacity_; });
  if (stopping_) return Status(ESHUTDOWN, "thread pool is stopping");
  queue_.push_back(std::move(task));
  not_empty_.notify_one();
  return Status::Ok();
}

Status ThreadPool::TrySubmit(std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (stopping_) return Status(ESHUTDOWN, "thread pool is stopping");
  if (queue_.size() >= capacity_) {
    return Status(EAGAIN, "thread pool queue full (" + std::to_string(capacity_) + " tasks)");
  }
  queue_.push_back(std::move(task));
  not_empty_.notify_one();
  return Status::Ok();
}

void ThreadPool::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.join();
}

size_t ThreadPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void ThreadPool::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    not_full_.notify_one();
    task();
  }
}

void WaitGroup::Add(size_t n) {
  std::lock_guard lock(mu_);
  count_ += n;
}

void WaitGroup::Done() {
  std::lock_guard lock(mu_);
  assert(count_ > 0);
  if (--count_ == 0) zero_.notify_all();
}

void WaitGroup::Wait() {
  std::unique_lock lock(mu_);
  zero_.wait(lock, [&] { return count_ == 0; });
}

}  // namespace tierfs
