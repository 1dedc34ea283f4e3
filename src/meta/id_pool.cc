#include "meta/id_pool.h"

#include <algorithm>

#include "util/log.h"

namespace tierfs::meta {

IdPool::IdPool(std::string kind, int64_t batch, int low_watermark_pct, uint64_t min_id,
               Refill refill)
    : kind_(std::move(kind)),
      batch_(std::max<int64_t>(batch, 1)),
      // A batch of 1 is taken when it is needed: one increment per id, nothing ahead.
      low_(batch_ > 1 ? batch_ * std::clamp(low_watermark_pct, 0, 100) / 100 : 0),
      min_id_(min_id),
      refill_(std::move(refill)) {}

IdPool::~IdPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void IdPool::BindMetrics(metrics::Registry* registry) {
  std::lock_guard lk(mu_);
  if (!registry) {
    prime_calls_ = served_ = prefetches_ = prime_errors_ = nullptr;
    return;
  }
  metrics::Labels l{{"kind", kind_}};
  prime_calls_ = registry->GetCounter("tierfs_meta_id_prime_calls",
                                      "Counter increments taken for id batches.", l);
  served_ = registry->GetCounter("tierfs_meta_id_served", "Ids handed out from the pools.", l);
  prefetches_ = registry->GetCounter("tierfs_meta_id_prefetches",
                                     "Asynchronous id batch refills started.", l);
  prime_errors_ = registry->GetCounter("tierfs_meta_id_prime_errors",
                                       "Id batch refills that failed.", l);
}

void IdPool::WaitForRefill() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !refilling_; });
}

Result<uint64_t> IdPool::Next() {
  std::unique_lock lk(mu_);
  for (;;) {
    if (remaining_ > 0) {
      Range& r = ranges_.front();
      uint64_t id = r.next++;
      if (r.next == r.end) ranges_.pop_front();
      --remaining_;
      if (served_) served_->Inc();
      MaybePrefetchLocked();
      return id;
    }
    if (refilling_) {
      cv_.wait(lk, [&] { return !refilling_ || remaining_ > 0; });
      continue;
    }
    refilling_ = true;
    if (prime_calls_) prime_calls_->Inc();
    lk.unlock();
    Result<int64_t> v = refill_(batch_);
    lk.lock();
    RETURN_IF_ERROR(FinishRefillLocked(v, /*async=*/false));
    // A range wholly below min_id adds nothing: the loop refills again.
  }
}

Status IdPool::FinishRefillLocked(const Result<int64_t>& r, bool async) {
  refilling_ = false;
  cv_.notify_all();
  if (!r) {
    if (prime_errors_) prime_errors_->Inc();
    if (async) {
      TIERFS_LOG_WARN("meta: prefetching {} ids failed (retried at the next allocation): {}",
                      kind_, r.error().ToString());
    }
    return r.error();
  }
  const int64_t v = *r;
  // Counter values below batch_ (or negative) would wrap: clamp the range to [0, v).
  uint64_t end = v > 0 ? uint64_t(v) : 0;
  uint64_t begin = v > batch_ ? uint64_t(v - batch_) : 0;
  begin = std::max(begin, min_id_);
  if (begin < end) {
    ranges_.push_back(Range{begin, end});
    remaining_ += end - begin;
  }
  return Status();
}

void IdPool::MaybePrefetchLocked() {
  if (low_ == 0 || refilling_ || stopping_ || remaining_ > uint64_t(low_)) return;
  refilling_ = true;
  async_requested_ = true;
  if (!worker_.joinable()) worker_ = std::thread([this] { Worker(); });
  work_cv_.notify_one();
}

void IdPool::Worker() {
  std::unique_lock lk(mu_);
  for (;;) {
    work_cv_.wait(lk, [&] { return stopping_ || async_requested_; });
    if (stopping_) return;
    async_requested_ = false;
    // Counted here, not at the request: a request the destructor overtook never runs.
    if (prime_calls_) prime_calls_->Inc();
    if (prefetches_) prefetches_->Inc();
    lk.unlock();
    Result<int64_t> v = refill_(batch_);
    lk.lock();
    (void)FinishRefillLocked(v, /*async=*/true);
  }
}

}  // namespace tierfs::meta
