// WithLimits (limited_store.h). Model: JuiceFS pkg/chunk/cached_store.go (currentUpload,
// currentDownload, upLimit, downLimit).
#include "object/limited_store.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "object/store_wrapper.h"
#include "util/token_bucket.h"

namespace tierfs::object {
namespace {

// A counting semaphore of `slots` (<= 0: unbounded, Acquire never waits).
class Slots {
 public:
  explicit Slots(int slots) : free_(slots), bounded_(slots > 0) {}
  void Acquire() {
    if (!bounded_) return;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    if (!bounded_) return;
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
  const bool bounded_;
};

class SlotGuard {
 public:
  explicit SlotGuard(Slots& s) : s_(s) { s_.Acquire(); }
  ~SlotGuard() { s_.Release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  Slots& s_;
};

// JuiceFS: ratelimit.NewBucketWithRate(0.85 * limit, limit / 10).
std::unique_ptr<TokenBucket> Bucket(int64_t bytes_per_sec, Sleeper* sleeper) {
  if (bytes_per_sec <= 0) return nullptr;
  return std::make_unique<TokenBucket>(0.85 * static_cast<double>(bytes_per_sec),
                                       std::max<int64_t>(1, bytes_per_sec / 10),
                                       sleeper != nullptr ? sleeper : RealSleeper());
}

// Only GET and PUT are limited; the other methods pass through.
class LimitedStore final : public StoreWrapper {
 public:
  LimitedStore(std::unique_ptr<ObjectStore> inner, const Limits& limits)
      : StoreWrapper(std::move(inner)),
        uploads_(limits.max_uploads),
        downloads_(limits.max_downloads),
        up_(Bucket(limits.upload_bytes_per_sec, limits.sleeper)),
        down_(Bucket(limits.download_bytes_per_sec, limits.sleeper)) {}

  Result<std::string> Get(std::string_view key, uint64_t off, int64_t limit) override {
    if (down_ && limit >= 0) down_->Wait(limit);
    Result<std::string> r;
    {
      SlotGuard slot(downloads_);
      r = inner()->Get(key, off, limit);
    }
    if (down_ && limit < 0 && r.has_value()) down_->Wait(static_cast<int64_t>(r->size()));
    return r;
  }
  Status Put(std::string_view key, std::string_view data) override {
    if (up_) up_->Wait(static_cast<int64_t>(data.size()));
    SlotGuard slot(uploads_);
    return inner()->Put(key, data);
  }

 private:
  Slots uploads_;
  Slots downloads_;
  std::unique_ptr<TokenBucket> up_;  // null = unlimited
  std::unique_ptr<TokenBucket> down_;
};

}  // namespace

std::unique_ptr<ObjectStore> WithLimits(std::unique_ptr<ObjectStore> inner, const Limits& limits) {
  return std::make_unique<LimitedStore>(std::move(inner), limits);
}

}  // namespace tierfs::object
