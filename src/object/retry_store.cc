// WithRetry (retry_store.h).
#include "object/retry_store.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "util/log.h"

namespace tierfs::object {

bool IsTransient(int code) {
  switch (code) {
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENETDOWN:
    case ENETUNREACH:
    case ENETRESET:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case EAGAIN:
    case EBUSY:
    case EIO:
      return true;
    default:
      return false;
  }
}

std::chrono::nanoseconds BackoffCeiling(const RetryPolicy& policy, int retry) {
  const std::chrono::nanoseconds cap = policy.cap;
  std::chrono::nanoseconds d = policy.base;
  if (cap <= cap.zero() || d <= d.zero()) return cap.zero();
  for (int i = 1; i < retry && d < cap; ++i) d *= 2;  // stops doubling at the cap: no overflow
  return std::min(d, cap);
}

namespace {

template <class T>
const Status& ErrorOf(const Result<T>& r) {
  return r.error();
}
inline const Status& ErrorOf(const Status& s) { return s; }
template <class T>
bool Ok(const Result<T>& r) {
  return r.has_value();
}
inline bool Ok(const Status& s) { return s.ok(); }

class RetryStore final : public ObjectStore {
 public:
  RetryStore(std::unique_ptr<ObjectStore> inner, RetryPolicy policy)
      : inner_(std::move(inner)),
        policy_(policy),
        rng_(policy.seed != 0 ? policy.seed : std::random_device{}()) {
    policy_.max_tries = std::max(1, policy_.max_tries);
    if (policy_.sleeper == nullptr) policy_.sleeper = RealSleeper();
  }

  std::string Describe() const override { return inner_->Describe(); }
  Result<std::string> Get(std::string_view key, uint64_t off, int64_t limit) override {
    return Run("GET", key, [&] { return inner_->Get(key, off, limit); });
  }
  Status Put(std::string_view key, std::string_view data) override {
    return Run("PUT", key, [&] { return inner_->Put(key, data); });
  }
  Status Delete(std::string_view key) override {
    return Run("DELETE", key, [&] { return inner_->Delete(key); });
  }
  Result<ObjectInfo> Head(std::string_view key) override {
    return Run("HEAD", key, [&] { return inner_->Head(key); });
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix, std::string_view marker,
                                       size_t limit) override {
    return Run("LIST", prefix, [&] { return inner_->List(prefix, marker, limit); });
  }
  Status Create() override {
    return Run("CREATE", {}, [&] { return inner_->Create(); });
  }

 private:
  // The wait before retry n: uniform in [0, BackoffCeiling(n)].
  std::chrono::nanoseconds Jitter(int retry) {
    const int64_t ceiling = BackoffCeiling(policy_, retry).count();
    std::lock_guard lock(rng_mu_);
    return std::chrono::nanoseconds(
        std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(0, ceiling))(rng_));
  }

  template <class F>
  auto Run(const char* method, std::string_view key, F attempt) -> decltype(attempt()) {
    Sleeper* clock = policy_.sleeper;
    const SteadyClock::time_point start = clock->Now();
    int tries = 1;
    auto result = attempt();
    while (!Ok(result) && IsTransient(ErrorOf(result).code())) {
      if (tries >= policy_.max_tries) break;
      const std::chrono::nanoseconds wait = Jitter(tries);
      if (policy_.deadline.count() > 0 && clock->Now() + wait >= start + policy_.deadline) break;
      TIERFS_LOG_WARN("{} {} failed (try {}/{}): {}; retrying in {} ms", method, key, tries,
                         policy_.max_tries, ErrorOf(result).ToString(), wait.count() / 1'000'000);
      clock->SleepFor(wait);
      ++tries;
      result = attempt();
    }
    if (Ok(result) || tries == 1 || !IsTransient(ErrorOf(result).code())) return result;
    const Status& last = ErrorOf(result);
    return Err(last.code(),
               last.message() + " (gave up after " + std::to_string(tries) + " tries)");
  }

  std::unique_ptr<ObjectStore> inner_;
  RetryPolicy policy_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<ObjectStore> WithRetry(std::unique_ptr<ObjectStore> inner, RetryPolicy policy) {
  return std::make_unique<RetryStore>(std::move(inner), policy);
}

}  // namespace tierfs::object
