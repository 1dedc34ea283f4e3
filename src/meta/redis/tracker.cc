#include "meta/redis/tracker.h"

namespace tierfs::meta::redis {

namespace {
constexpr size_t kBatch = 256;  // reads per DoCachedAll
}  // namespace

Tracker::Tracker(net::redis::Client* client, size_t max_queued)
    : client_(client), max_queued_(max_queued), thread_([this] { Loop(); }) {}

Tracker::~Tracker() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Tracker::Expect(std::vector<Expectation> items) {
  std::vector<Expectation> overflow;
  {
    std::lock_guard lk(mu_);
    for (auto& it : items) {
      if (stop_ || queue_.size() >= max_queued_) {
        overflow.push_back(std::move(it));
      } else {
        queue_.push_back(std::move(it));
      }
    }
  }
  cv_.notify_one();
  for (auto& it : overflow) {
    if (it.stale) it.stale();
  }
}

void Tracker::Loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::vector<Expectation> batch;
    while (!queue_.empty() && batch.size() < kBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lk.unlock();
    std::vector<std::pair<net::redis::Command, std::string>> reads;
    reads.reserve(batch.size());
    for (const auto& e : batch) reads.emplace_back(e.read, e.key);
    auto got = client_->DoCachedAll(reads);
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& r = got[i];
      bool same = r && !r->IsError() &&
                  (batch[i].value ? !r->IsNil() && r->str == *batch[i].value : r->IsNil());
      if (!same && batch[i].stale) batch[i].stale();
    }
    lk.lock();
  }
}

}  // namespace tierfs::meta::redis
