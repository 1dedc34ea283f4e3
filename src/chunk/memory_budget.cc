#include "chunk/memory_budget.h"

namespace tierfs::chunk {

void MemoryBudget::Changed(int64_t delta) {
  changed_.notify_all();
  if (on_change_ && delta != 0) on_change_(delta);
}

void MemoryBudget::Charge(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ += bytes;
  }
  if (on_change_) on_change_(static_cast<int64_t>(bytes));
}

void MemoryBudget::Release(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ -= bytes;
    ++version_;
  }
  Changed(-static_cast<int64_t>(bytes));
}

void MemoryBudget::StartDrain(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    draining_ += bytes;
    ++version_;
  }
  Changed(0);
}

void MemoryBudget::FinishDrain(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    draining_ -= bytes;
    used_ -= bytes;
    ++version_;
  }
  Changed(-static_cast<int64_t>(bytes));
}

MemoryBudget::State MemoryBudget::Check() const {
  std::lock_guard lock(mu_);
  if (used_ < limit_) return State::kRoom;
  return used_ - draining_ < limit_ ? State::kDraining : State::kFull;
}

void MemoryBudget::WaitForChange(std::chrono::milliseconds max) const {
  std::unique_lock lock(mu_);
  const uint64_t seen = version_;
  ++waiters_;
  waiting_.notify_all();
  changed_.wait_for(lock, max, [&] { return version_ != seen; });
  --waiters_;
}

uint64_t MemoryBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

uint64_t MemoryBudget::draining() const {
  std::lock_guard lock(mu_);
  return draining_;
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
