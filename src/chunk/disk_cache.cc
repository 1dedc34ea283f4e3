#include "chunk/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include "util/file_io.h"

namespace tierfs::chunk {
namespace {

namespace fs = std::filesystem;

}  // namespace

Result<std::unique_ptr<DiskCache>> DiskCache::Open(std::string root, uint64_t capacity) {
  if (root.empty() || root.back() != '/') root += '/';
  if (int e = MakeParents(root); e != 0) {
    return Err(e == ENOSPC ? ENOSPC : EACCES,
               "cannot create cache directory " + root + ": " + std::strerror(e));
  }
  std::unique_ptr<DiskCache> cache(new DiskCache(root, capacity));
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  std::vector<std::pair<std::string, uint64_t>> found;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (path.ends_with(".tmp")) {
      unlink(path.c_str());  // a crash mid-write
      continue;
    }
    found.emplace_back(path.substr(root.size()), it->file_size(ec));
  }
  if (ec) return Err(EIO, "cannot scan cache directory " + root + ": " + ec.message());
  for (auto& [key, size] : found) cache->Index(key, size);
  return cache;
}

void DiskCache::Index(const std::string& key, uint64_t size) {
  std::vector<std::string> evict;
  {
    std::lock_guard lock(mu_);
    ForgetLocked(key);
    lru_.push_front(key);
    index_[key] = Entry{size, lru_.begin()};
    bytes_ += size;
    while (bytes_ > capacity_ && !lru_.empty()) {
      std::string victim = lru_.back();
      ForgetLocked(victim);
      evict.push_back(std::move(victim));
    }
  }
  for (const std::string& k : evict) unlink((root_ + k).c_str());
}

bool DiskCache::ForgetLocked(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  bytes_ -= it->second.size;
  lru_.erase(it->second.pos);
  index_.erase(it);
  return true;
}

bool DiskCache::Contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return index_.contains(key);
}

int DiskCache::OpenBlock(const std::string& key, uint32_t len) {
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return -1;
    lru_.splice(lru_.begin(), lru_, it->second.pos);
  }
  std::string path = root_ + key;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) == len) return fd;
  if (fd >= 0) close(fd);
  Remove(key);  // gone, damaged or foreign: fall back to the object store
  return -1;
}


std::optional<std::string> DiskCache::Load(const std::string& key, uint32_t len) {
  int fd = OpenBlock(key, len);
  if (fd < 0) return std::nullopt;
  std::string data(len, '\0');
  bool ok = PreadAll(fd, data, 0) == 0;
  close(fd);
  if (!ok) {
    Remove(key);
    return std::nullopt;
  }
  return data;
}

bool DiskCache::ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out) {
  if (uint64_t{off} + out.size() > len) return false;
  int fd = OpenBlock(key, len);
  if (fd < 0) return false;
  bool ok = PreadAll(fd, out, off) == 0;
  close(fd);
  if (!ok) Remove(key);
  return ok;
}

void DiskCache::Store(const std::string& key, std::string_view data) {
  if (data.size() > capacity_) return;
  std::string path = root_ + key;
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string tmp = path + "." + std::to_string(rng() % 1000000000) + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT && MakeParents(path) == 0) {
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) return;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = close(fd) == 0 && done == data.size() && rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    unlink(tmp.c_str());
    return;
  }
  Index(key, data.size());
}

bool DiskCache::Adopt(const std::string& key, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || uint64_t(st.st_size) > capacity_) return false;
  std::string dest = root_ + key;
  if (rename(path.c_str(), dest.c_str()) != 0) {
    if (errno != ENOENT || MakeParents(dest) != 0 || rename(path.c_str(), dest.c_str()) != 0) {
      return false;
    }
  }
  Index(key, uint64_t(st.st_size));
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

}  // namespace tierfs::chunk
