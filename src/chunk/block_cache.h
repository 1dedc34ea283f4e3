// BlockCache: an in-memory LRU of recently read block plaintexts, bounded by bytes, so that a
// sequence of small reads inside one block (FUSE reads 128 KiB of a 4 MiB block at a time)
// fetches the object once instead of 32 times.
//
// Blocks are shared immutable strings: a reader keeps its shared_ptr after eviction.
// A capacity of 0 disables the cache (Put is a no-op). A block larger than the capacity is not
// cached. Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tierfs::chunk {

using BlockData = std::shared_ptr<const std::string>;

class BlockCache {
 public:
  explicit BlockCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The cached block, marked most recently used; nullptr when absent.
  BlockData Get(const std::string& key);
  bool Contains(const std::string& key) const;
  // Inserts or replaces, evicting least recently used blocks to stay within capacity.
  void Put(const std::string& key, BlockData data);
  void Erase(const std::string& key);
  uint64_t bytes() const;

 private:
  struct Entry {
    std::string key;
    BlockData data;
  };
  void EraseLocked(std::unordered_map<std::string, std::list<Entry>::iterator>::iterator it);

  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t bytes_ = 0;
};

}  // namespace tierfs::chunk
