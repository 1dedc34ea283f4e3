#include "chunk/memory_budget.h"

namespace tierfs::chunk {

void MemoryBudget::Acquire(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::unique_lock lock(mu_);
    if (!Fits(bytes)) {
      ++waiters_;
      waiting_.notify_all();
      freed_.wait(lock, [&] { return Fits(bytes); });
      --waiters_;
    }
    used_ += bytes;
  }
  if (on_change_) on_change_(static_cast<int64_t>(bytes));
}

bool MemoryBudget::TryAcquire(uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    if (!Fits(bytes)) return false;
    used_ += bytes;
  }
  if (on_change_ && bytes > 0) on_change_(static_cast<int64_t>(bytes));
  return true;
}

void MemoryBudget::Release(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ -= bytes;
  }
  freed_.notify_all();
  if (on_change_) on_change_(-static_cast<int64_t>(bytes));
}

uint64_t MemoryBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

int MemoryBudget::waiters() const {
  std::lock_guard lock(mu_);
  return waiters_;
}

void MemoryBudget::WaitForWaiters(int n) const {
  std::unique_lock lock(mu_);
  waiting_.wait(lock, [&] { return waiters_ >= n; });
}

}  // namespace tierfs::chunk
