// DiskTier: tier 1 over one or more cache directories (`--cache-dir a:b:c`, e.g. one per NVMe
// device), each a DiskCache of its own {dir}/{volume_uuid}/raw/ with an equal share of
// `--cache-size`. A block is stored in the directory its key hashes to among the healthy ones
// (FNV-1a; JuiceFS uses a consistent-hash ring of per-directory ids instead, so with several
// directories each client finds the other's blocks only by the lookup below, which asks every
// directory's index); reads ask every healthy directory. A directory taken out of service
// (DiskCache::healthy) is skipped: its blocks are read from the object store and new blocks go
// to the others. Adopt (an uploaded staged block) goes to the first directory, which holds the
// staging directory on the same file system.
// Thread-safety: as DiskCache.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/disk_cache.h"

namespace tierfs::chunk {

class DiskTier {
 public:
  // `roots`: the raw/ directories. Fails (the first directory's error) only when none opens;
  // directories that fail are logged and left out.
  static Result<std::unique_ptr<DiskTier>> Open(const std::vector<std::string>& roots,
                                                DiskCacheOptions options);

  std::optional<std::string> Load(const std::string& key, uint32_t len);
  bool ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out);
  void Store(const std::string& key, std::string_view data);
  void Remove(const std::string& key);
  bool Adopt(const std::string& key, const std::string& path);
  bool Contains(const std::string& key) const;
  uint64_t bytes() const;
  const std::vector<std::unique_ptr<DiskCache>>& dirs() const { return dirs_; }

 private:
  // The healthy directory whose index has `key`, or null.
  DiskCache* Holder(const std::string& key) const;
  std::vector<std::unique_ptr<DiskCache>> dirs_;
};

// Splits `--cache-dir` as JuiceFS does: on ':' (or, when that gives one part, on ',').
std::vector<std::string> SplitCacheDirs(const std::string& dirs);

}  // namespace tierfs::chunk
