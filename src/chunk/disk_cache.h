// DiskCache: one tier-1 cache directory of block plaintexts in JuiceFS's cache layout
// (FORMAT.md §6): block `key` ("chunks/0/0/1_0_6") is the file `{root}/{key}` where root is
// `{cache_dir}/{volume_uuid}/raw/`. A file holds the plain, uncompressed block bytes, followed
// by JuiceFS's CRC-32C tail unless the checksum level is none (cache_file.h), so JuiceFS and
// tierfs serve each other's cache files. Files are written to "*.tmp" and renamed (mode 0600,
// no fsync, as JuiceFS) and are trusted only when their size fits the length in the key.
//
// Capacity counts the blocks' logical bytes. When a store would pass `capacity`, blocks are
// evicted first: least recently used (lru), the older of two random ones (2-random, JuiceFS's
// default), or none (the new block is not cached). Blocks not read for `expire` are dropped
// (checked at most once a second, on Store). A store is skipped when the file system would keep
// less than `free_space_ratio` free. The index is rebuilt from the directory at Open (leftover
// *.tmp files are removed).
// Errors are not fatal: a block that cannot be stored is simply not cached, a file that cannot
// be read is dropped and read elsewhere; after 3 I/O errors in a row (not ENOSPC) the directory
// is taken out of service (healthy() false: every call misses) and a warning is logged.
// Thread-safety: all methods may be called concurrently (index under one mutex; file I/O
// outside it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chunk/cache_file.h"
#include "util/status.h"

namespace tierfs::metrics {
class Counter;
class Gauge;
class Registry;
}  // namespace tierfs::metrics

namespace tierfs::chunk {

struct DiskCacheOptions {
  uint64_t capacity = 100ULL << 30;  // bytes
  ChecksumLevel checksum = ChecksumLevel::kExtend;
  Eviction eviction = Eviction::kLru;
  std::chrono::seconds expire{0};  // 0 = never
  double free_space_ratio = 0;     // 0 = no check
  metrics::Registry* registry = nullptr;  // tierfs_blockcache_* (shared by every directory)
  // The clock of access times and expiry (tests pass a fake one).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class DiskCache {
 public:
  // Creates `root` (ending in '/') if needed and indexes what is there; EACCES/EIO when the
  // directory cannot be used.
  static Result<std::unique_ptr<DiskCache>> Open(std::string root, DiskCacheOptions options);
  static Result<std::unique_ptr<DiskCache>> Open(std::string root, uint64_t capacity) {
    DiskCacheOptions o;
    o.capacity = capacity;
    return Open(std::move(root), o);
  }
  ~DiskCache();

  // The cached plaintext of `key` when present for a block of exactly `len` bytes (checksums
  // verified as the level says; a damaged file is dropped).
  std::optional<std::string> Load(const std::string& key, uint32_t len);
  // Copies bytes [off, off + out.size()) of the cached block `key` (`len` bytes) into `out`,
  // reading only those bytes (widened to whole 32 KiB pieces at level extend) from the file
  // (JuiceFS reads cached blocks this way: a 4 KiB random read must not read 4 MiB). False when
  // not cached, or damaged (then dropped). REQUIRES: off + out.size() <= len.
  bool ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out);
  // Best effort; evicts older blocks to make room.
  void Store(const std::string& key, std::string_view data);
  void Remove(const std::string& key);
  // Moves the complete block file at `path` (same file system, e.g. an uploaded staged block,
  // with the same checksum convention) into the cache as `key` by rename(2). False (the file
  // left where it is) when it does not fit or the rename fails.
  bool Adopt(const std::string& key, const std::string& path);
  // Whether `key` is indexed (a later Load may still miss if its file went away).
  bool Contains(const std::string& key) const;

  uint64_t bytes() const;
  uint64_t blocks() const;
  bool healthy() const { return healthy_.load(); }
  const std::string& root() const { return root_; }

 private:
  DiskCache(std::string root, DiskCacheOptions options);
  void Index(const std::string& key, uint64_t size);
  // Marks an indexed `key` recently used; false when it is not indexed (or the directory is
  // out of service).
  bool Touch(const std::string& key);
  // Forgets `key` and returns whether it was indexed. Caller holds mu_.
  bool ForgetLocked(const std::string& key);
  // Picks the next victim by the eviction policy, never `keep`; "" when none. Caller holds mu_.
  std::string VictimLocked(const std::string& keep);
  // Keys not read within `expire`, forgotten (caller unlinks). Caller holds mu_.
  std::vector<std::string> ExpireLocked();
  bool RoomOnDisk(uint64_t need) const;
  void NoteIoError(int err, const std::string& what);
  void NoteIoOk() { errors_in_a_row_.store(0); }

  const std::string root_;
  const DiskCacheOptions opt_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  struct Entry {
    uint64_t size;
    std::list<std::string>::iterator pos;
    size_t slot;  // in keys_ (2-random sampling)
    std::chrono::steady_clock::time_point atime;
  };
  std::unordered_map<std::string, Entry> index_;
  std::vector<std::string> keys_;
  std::mt19937_64 rng_{std::random_device{}()};
  uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point last_expire_{};
  std::atomic<bool> healthy_{true};
  std::atomic<int> errors_in_a_row_{0};
  metrics::Gauge* blocks_gauge_ = nullptr;
  metrics::Gauge* bytes_gauge_ = nullptr;
  metrics::Counter* writes_ = nullptr;
  metrics::Counter* write_bytes_ = nullptr;
  metrics::Counter* evicts_ = nullptr;
  metrics::Counter* drops_ = nullptr;
  metrics::Counter* corrupt_ = nullptr;
};

}  // namespace tierfs::chunk
