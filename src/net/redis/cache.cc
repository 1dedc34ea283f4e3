#include "net/redis/cache.h"

namespace tierfs::net::redis {

namespace {
constexpr size_t kEntryOverhead = 128;  // list node, two hash nodes, the Entry itself
}

ClientCache::Lookup ClientCache::Begin(const std::string& key, const std::string& sig) {
  std::lock_guard lock(mu_);
  if (auto k = index_.find(key); k != index_.end()) {
    if (auto s = k->second.find(sig); s != k->second.end()) {
      Lru::iterator it = s->second;
      if (it->expires > Clock::now()) {
        lru_.splice(lru_.end(), lru_, it);
        counters_->hits++;
        return {Lookup::kHit, it->value, nullptr};
      }
      EraseLocked(it);
    }
  }
  auto& pending = flights_[key][sig];
  if (pending) {
    counters_->hits++;  // answered without a request of its own
    return {Lookup::kWait, {}, pending};
  }
  counters_->misses++;
  pending = std::make_shared<Flight>();
  pending->key = key;
  pending->sig = sig;
  return {Lookup::kMiss, {}, pending};
}

void ClientCache::Finish(const std::shared_ptr<Flight>& f, Result<Reply> r, bool keep) {
  {
    std::lock_guard lock(mu_);
    if (!f->poisoned) {
      auto k = flights_.find(f->key);
      k->second.erase(f->sig);
      if (k->second.empty()) flights_.erase(k);
    }
    size_t bytes = r ? f->key.size() + f->sig.size() + r->Bytes() + kEntryOverhead : 0;
    if (keep && !f->poisoned && r && !r->IsError() && bytes <= budget_) {
      while (bytes_ + bytes > budget_) EraseLocked(lru_.begin());
      lru_.push_back(Entry{f->key, f->sig, *r, bytes, Clock::now() + ttl_});
      index_[f->key][f->sig] = std::prev(lru_.end());
      bytes_ += bytes;
    }
  }
  f->result->Set(std::move(r));
}

void ClientCache::InvalidateKey(const std::string& key) {
  std::lock_guard lock(mu_);
  counters_->invalidations++;
  PoisonLocked(key);
  auto k = index_.find(key);
  if (k == index_.end()) return;
  auto sigs = std::move(k->second);
  index_.erase(k);
  for (auto& [sig, it] : sigs) {
    bytes_ -= it->bytes;
    lru_.erase(it);
  }
}

void ClientCache::InvalidateAll() {
  std::lock_guard lock(mu_);
  counters_->flushes++;
  for (auto& [key, sigs] : flights_)
    for (auto& [sig, f] : sigs) f->poisoned = true;
  flights_.clear();
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

size_t ClientCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t ClientCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

void ClientCache::EraseLocked(Lru::iterator it) {
  auto k = index_.find(it->key);
  k->second.erase(it->sig);
  if (k->second.empty()) index_.erase(k);
  bytes_ -= it->bytes;
  lru_.erase(it);
}

// A poisoned flight leaves the table: later readers start a fresh read instead of joining it.
void ClientCache::PoisonLocked(const std::string& key) {
  auto k = flights_.find(key);
  if (k == flights_.end()) return;
  for (auto& [sig, f] : k->second) f->poisoned = true;
  flights_.erase(k);
}

}  // namespace tierfs::net::redis
