#include "chunk/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "chunk/chunk_store.h"
#include "metrics/registry.h"
#include "object/metrics_bridge.h"
#include "util/file_io.h"
#include "util/log.h"

namespace tierfs::chunk {
namespace {

using object::mbridge::Add;
using object::mbridge::Inc;

constexpr int kErrorsBeforeOutOfService = 3;

}  // namespace

DiskCache::DiskCache(std::string root, DiskCacheOptions options)
    : root_(std::move(root)), opt_(options) {
  metrics::Registry* r = opt_.registry;
  if (r == nullptr) return;
  blocks_gauge_ = r->GetGauge("tierfs_blockcache_blocks", "number of cached blocks");
  bytes_gauge_ = r->GetGauge("tierfs_blockcache_bytes", "number of cached bytes");
  writes_ = r->GetCounter("tierfs_blockcache_writes", "written cached blocks");
  write_bytes_ = r->GetCounter("tierfs_blockcache_write_bytes", "written bytes of cached blocks");
  evicts_ = r->GetCounter("tierfs_blockcache_evicts", "evicted cache blocks");
  drops_ = r->GetCounter("tierfs_blockcache_drops", "dropped blocks (no room, disk out of service)");
  corrupt_ = r->GetCounter("tierfs_blockcache_corrupt",
                           "cached blocks dropped for a bad checksum or size");
}

DiskCache::~DiskCache() {
  std::lock_guard lock(mu_);
  Add(blocks_gauge_, -int64_t(index_.size()));
  Add(bytes_gauge_, -int64_t(bytes_));
}

Result<std::unique_ptr<DiskCache>> DiskCache::Open(std::string root, DiskCacheOptions options) {
  if (root.empty() || root.back() != '/') root += '/';
  if (int e = MakeParents(root); e != 0) {
    return Err(e == ENOSPC ? ENOSPC : EACCES,
               "cannot create cache directory " + root + ": " + std::strerror(e));
  }
  std::unique_ptr<DiskCache> cache(new DiskCache(root, options));
  std::vector<std::pair<std::string, uint64_t>> found;
  RETURN_IF_ERROR(ScanBlockFiles(root, [&](const std::string& key, const struct stat& st) {
    // Logical bytes: the key's block length (a JuiceFS file may carry checksums, a footer).
    auto len = BlockKeyLength(key);
    const uint64_t size = uint64_t(st.st_size);
    found.emplace_back(key, len && *len <= size ? *len : size);
  }));
  for (auto& [key, size] : found) cache->Index(key, size);
  return cache;
}

std::string DiskCache::VictimLocked(const std::string& keep) {
  if (index_.size() < 2) return {};
  if (opt_.eviction == Eviction::kTwoRandom && keys_.size() > 2) {
    // Two distinct entries other than the one being stored: the older one goes.
    const size_t n = keys_.size();
    auto pick = [&](size_t other) {
      for (;;) {
        size_t k = rng_() % n;
        if (k != other && keys_[k] != keep) return k;
      }
    };
    const std::string& a = keys_[pick(n)];
    const std::string& b = keys_[pick(index_.at(a).slot)];
    return index_.at(a).atime <= index_.at(b).atime ? a : b;
  }
  return lru_.back() == keep ? *std::next(lru_.rbegin()) : lru_.back();
}

std::vector<std::string> DiskCache::ExpireLocked() {
  std::vector<std::string> gone;
  auto now = opt_.now();
  if (opt_.expire.count() <= 0 || now - last_expire_ < std::chrono::seconds(1)) return gone;
  last_expire_ = now;
  // The LRU's tail holds the least recently read blocks: stop at the first fresh one.
  while (!lru_.empty() && now - index_.at(lru_.back()).atime > opt_.expire) {
    gone.push_back(lru_.back());
    ForgetLocked(gone.back());
  }
  return gone;
}

void DiskCache::Index(const std::string& key, uint64_t size) {
  std::vector<std::string> evict;
  {
    std::lock_guard lock(mu_);
    ForgetLocked(key);
    lru_.push_front(key);
    keys_.push_back(key);
    index_[key] = Entry{size, lru_.begin(), keys_.size() - 1, opt_.now()};
    bytes_ += size;
    Add(blocks_gauge_, 1);
    Add(bytes_gauge_, int64_t(size));
    while (bytes_ > opt_.capacity && index_.size() > 1) {
      std::string victim = VictimLocked(key);
      if (victim.empty()) break;
      ForgetLocked(victim);
      evict.push_back(std::move(victim));
    }
  }
  Inc(evicts_, evict.size());
  for (const std::string& k : evict) unlink((root_ + k).c_str());
}

bool DiskCache::ForgetLocked(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  bytes_ -= it->second.size;
  Add(blocks_gauge_, -1);
  Add(bytes_gauge_, -int64_t(it->second.size));
  lru_.erase(it->second.pos);
  // Swap-remove from keys_, fixing the moved key's slot.
  size_t slot = it->second.slot;
  if (slot + 1 != keys_.size()) {
    keys_[slot] = std::move(keys_.back());
    index_.at(keys_[slot]).slot = slot;
  }
  keys_.pop_back();
  index_.erase(it);
  return true;
}

bool DiskCache::Contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return index_.contains(key);
}

void DiskCache::NoteIoError(int err, const std::string& what) {
  if (err == ENOSPC || err == EDQUOT || err == ENOENT) return;
  if (errors_in_a_row_.fetch_add(1) + 1 >= kErrorsBeforeOutOfService && healthy_.exchange(false)) {
    TIERFS_LOG_WARN("cache directory {} taken out of service after I/O errors ({}: {})", root_, what,
                    std::strerror(err));
  }
}

bool DiskCache::Touch(const std::string& key) {
  if (!healthy()) return false;
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second.pos);
  it->second.atime = opt_.now();
  return true;
}

std::optional<std::string> DiskCache::Load(const std::string& key, uint32_t len) {
  std::string data(len, '\0');
  if (!ReadAt(key, len, 0, data)) return std::nullopt;
  return data;
}

bool DiskCache::ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out) {
  if (uint64_t{off} + out.size() > len || !Touch(key)) return false;
  const int err = ReadBlockFile(root_ + key, len, opt_.checksum, off, out);
  if (err == 0) {
    NoteIoOk();
    return true;
  }
  if (err == EBADMSG) {
    TIERFS_LOG_WARN("cached block {}{} has a bad size or checksum: dropped, read from the object store",
                    root_, key);
    Inc(corrupt_);
  } else {
    NoteIoError(err, "read " + root_ + key);  // ENOENT: gone behind our back, not an error
  }
  Remove(key);  // gone, damaged or foreign: fall back to the object store
  return false;
}

bool DiskCache::RoomOnDisk(uint64_t need) const {
  return opt_.free_space_ratio <= 0 || FreeRatioAfter(root_, need) >= opt_.free_space_ratio;
}

void DiskCache::Store(const std::string& key, std::string_view data) {
  std::vector<std::string> expired;
  bool full;
  {
    std::lock_guard lock(mu_);
    expired = ExpireLocked();
    full = opt_.eviction == Eviction::kNone && bytes_ + data.size() > opt_.capacity;
  }
  Inc(evicts_, expired.size());
  for (const std::string& k : expired) unlink((root_ + k).c_str());
  if (!healthy() || data.size() > opt_.capacity || full || !RoomOnDisk(data.size())) {
    Inc(drops_);
    return;
  }
  std::string path = root_ + key;
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string tmp = path + "." + std::to_string(rng() % 1000000000) + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT && MakeParents(path) == 0) {
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    NoteIoError(errno, "create " + tmp);
    return;
  }
  int err = WriteAll(fd, data);
  if (err == 0 && opt_.checksum != ChecksumLevel::kNone) err = WriteAll(fd, ChecksumTail(data));
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    unlink(tmp.c_str());
    NoteIoError(err, "write " + tmp);
    return;
  }
  NoteIoOk();
  Inc(writes_);
  Inc(write_bytes_, data.size());
  Index(key, data.size());
}

bool DiskCache::Adopt(const std::string& key, const std::string& path) {
  struct stat st;
  if (!healthy() || ::stat(path.c_str(), &st) != 0) return false;
  uint64_t len = BlockKeyLength(key).value_or(uint64_t(st.st_size));
  if (len > opt_.capacity) return false;
  std::string dest = root_ + key;
  if (rename(path.c_str(), dest.c_str()) != 0) {
    if (errno != ENOENT || MakeParents(dest) != 0 || rename(path.c_str(), dest.c_str()) != 0) {
      return false;
    }
  }
  Index(key, len);
  return true;
}

void DiskCache::Remove(const std::string& key) {
  bool known;
  {
    std::lock_guard lock(mu_);
    known = ForgetLocked(key);
  }
  if (known) unlink((root_ + key).c_str());
}

uint64_t DiskCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

uint64_t DiskCache::blocks() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace tierfs::chunk
