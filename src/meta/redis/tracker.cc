#include "meta/redis/tracker.h"

#include <memory>

namespace tierfs::meta::redis {

namespace {
// What one check reads: the command with its arguments (HGET d1 a and HGET d1 b are two).
std::string Identity(const Tracker::Expectation& e) {
  std::string id;
  for (const auto& a : e.read) {
    id += a;
    id.push_back('\0');
  }
  return id;
}
}  // namespace

void Tracker::Expect(std::vector<Expectation> items) {
  auto batch = std::make_shared<std::vector<Queued>>();
  batch->reserve(items.size());
  {
    std::lock_guard lk(mu_);
    uint64_t gen = ++next_gen_;
    for (auto& e : items) {
      latest_[Identity(e)] = gen;
      batch->push_back({std::move(e), gen});
    }
  }
  if (pool_.TrySubmit([this, batch] { Check(*batch); }).ok()) return;
  for (auto& q : *batch) {
    if (q.e.stale) q.e.stale();
  }
}

void Tracker::Check(const std::vector<Queued>& items) {
  std::vector<const Queued*> todo;
  {
    std::lock_guard lk(mu_);
    for (const auto& q : items) {
      auto it = latest_.find(Identity(q.e));
      if (it == latest_.end() || it->second != q.gen) continue;  // a newer commit will check it
      todo.push_back(&q);
      latest_.erase(it);
    }
  }
  if (todo.empty()) return;
  std::vector<std::pair<net::redis::Command, std::string>> reads;
  reads.reserve(todo.size());
  for (const Queued* q : todo) reads.emplace_back(q->e.read, q->e.key);
  auto got = client_->DoCachedAll(reads);
  for (size_t i = 0; i < todo.size(); ++i) {
    const Expectation& e = todo[i]->e;
    const auto& r = got[i];
    bool same = r && !r->IsError() && (e.value ? !r->IsNil() && r->str == *e.value : r->IsNil());
    if (!same && e.stale) e.stale();
  }
}

}  // namespace tierfs::meta::redis
