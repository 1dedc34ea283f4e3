// DiskCache: tier 1, a local directory of block plaintexts in JuiceFS's cache layout
// (FORMAT.md §6): block `key` ("chunks/0/0/1_0_6") is the file `{root}/{key}` where root is
// `{cache_dir}/{volume_uuid}/raw/`. Files hold the plain, uncompressed block bytes (no checksum
// tail: tierfs writes checksum level "none"), are written to a temporary "*.tmp" file and
// renamed (mode 0600, no fsync, as JuiceFS), and are trusted only when their size equals the
// length in the key.
//
// The total size is kept within `capacity` bytes by evicting least recently used files; the
// index is rebuilt from the directory at Open (leftover *.tmp files are removed).
// Errors are not fatal: a block that cannot be stored is simply not cached.
// Thread-safety: all methods may be called concurrently (index under one mutex; file I/O
// outside it).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/status.h"

namespace tierfs::chunk {

class DiskCache {
 public:
  // Creates `root` (ending in '/') if needed and indexes what is there; EACCES/EIO when the
  // directory cannot be used.
  static Result<std::unique_ptr<DiskCache>> Open(std::string root, uint64_t capacity);

  // The cached plaintext of `key` when present with exactly `len` bytes.
  std::optional<std::string> Load(const std::string& key, uint32_t len);
  // Copies bytes [off, off + out.size()) of the cached block `key` (exactly `len` bytes) into
  // `out`, reading only those bytes from the file (JuiceFS reads cached blocks this way: a
  // 4 KiB random read must not read 4 MiB). False when not cached, or damaged (then dropped).
  // REQUIRES: off + out.size() <= len.
  bool ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out);
  // Best effort; evicts older blocks to make room.
  void Store(const std::string& key, std::string_view data);
  void Remove(const std::string& key);
  // Moves the complete block file at `path` (same file system, e.g. an uploaded staged block)
  // into the cache as `key` by rename(2). False (the file left where it is) when it does not
  // fit or the rename fails.
  bool Adopt(const std::string& key, const std::string& path);
  // Whether `key` is indexed (a later Load may still miss if its file went away).
  bool Contains(const std::string& key) const;

  uint64_t bytes() const;
  const std::string& root() const { return root_; }

 private:
  DiskCache(std::string root, uint64_t capacity) : root_(std::move(root)), capacity_(capacity) {}
  void Index(const std::string& key, uint64_t size);
  // Opens the file of an indexed `key` (marking it recently used) when it holds exactly `len`
  // bytes; -1 otherwise (a file that went away or has another size is dropped).
  int OpenBlock(const std::string& key, uint32_t len);
  // Forgets `key` and returns whether it was indexed. Caller holds mu_.
  bool ForgetLocked(const std::string& key);

  const std::string root_;
  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  struct Entry {
    uint64_t size;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, Entry> index_;
  uint64_t bytes_ = 0;
};

}  // namespace tierfs::chunk
