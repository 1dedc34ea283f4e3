#include "chunk/block_cache.h"

namespace tierfs::chunk {

BlockData BlockCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->data;
}

bool BlockCache::Contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return index_.contains(key);
}

void BlockCache::Put(const std::string& key, BlockData data) {
  if (!data || data->size() > capacity_) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it);
  lru_.push_front(Entry{key, data});
  index_.emplace(key, lru_.begin());
  bytes_ += data->size();
  while (bytes_ > capacity_) EraseLocked(index_.find(lru_.back().key));
}

void BlockCache::Erase(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it);
}

uint64_t BlockCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void BlockCache::EraseLocked(
    std::unordered_map<std::string, std::list<Entry>::iterator>::iterator it) {
  bytes_ -= it->second->data->size();
  lru_.erase(it->second);
  index_.erase(it);
}

}  // namespace tierfs::chunk
