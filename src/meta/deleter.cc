#include "meta/deleter.h"

namespace tierfs::meta {

Deleter::Deleter(size_t threads, std::function<Status(Ino)> work) : work_(std::move(work)) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

Deleter::~Deleter() { Stop(); }

bool Deleter::Enqueue(Ino ino) {
  {
    std::lock_guard lk(mu_);
    if (threads_.empty() || stopping_ || !pending_.insert(ino).second) return false;
    queue_.push_back(ino);
  }
  has_work_.notify_one();
  return true;
}

Status Deleter::Drain() {
  std::unique_lock lk(mu_);
  idle_.wait(lk, [&] { return pending_.empty(); });
  Status st = std::move(first_error_);
  first_error_ = Status();
  return st;
}

void Deleter::Stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (Ino ino : queue_) pending_.erase(ino);
    queue_.clear();
  }
  has_work_.notify_all();
  for (auto& t : threads_) t.join();
  idle_.notify_all();
}

void Deleter::Work() {
  std::unique_lock lk(mu_);
  for (;;) {
    has_work_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Ino ino = queue_.front();
    queue_.pop_front();
    ++running_;
    lk.unlock();
    Status st = work_(ino);
    lk.lock();
    --running_;
    pending_.erase(ino);
    if (!st.ok() && first_error_.ok()) first_error_ = std::move(st);
    if (pending_.empty()) idle_.notify_all();
  }
}

}  // namespace tierfs::meta
