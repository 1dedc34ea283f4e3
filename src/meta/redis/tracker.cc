#include "meta/redis/tracker.h"

#include <memory>

namespace tierfs::meta::redis {

void Tracker::Expect(std::vector<Expectation> items) {
  auto batch = std::make_shared<std::vector<Expectation>>(std::move(items));
  if (pool_.TrySubmit([this, batch] { Check(*batch); }).ok()) return;
  for (auto& it : *batch) {
    if (it.stale) it.stale();
  }
}

void Tracker::Check(const std::vector<Expectation>& items) {
  std::vector<std::pair<net::redis::Command, std::string>> reads;
  reads.reserve(items.size());
  for (const auto& e : items) reads.emplace_back(e.read, e.key);
  auto got = client_->DoCachedAll(reads);
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& r = got[i];
    bool same = r && !r->IsError() &&
                (items[i].value ? !r->IsNil() && r->str == *items[i].value : r->IsNil());
    if (!same && items[i].stale) items[i].stale();
  }
}

}  // namespace tierfs::meta::redis
