#include "chunk/disk_tier.h"

#include "util/log.h"

namespace tierfs::chunk {
namespace {

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    std::string part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!part.empty()) out.push_back(part);
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

}  // namespace

std::vector<std::string> SplitCacheDirs(const std::string& dirs) {
  auto parts = Split(dirs, ':');
  if (parts.size() == 1) parts = Split(dirs, ',');
  return parts;
}

Result<std::unique_ptr<DiskTier>> DiskTier::Open(const std::vector<std::string>& roots,
                                                 DiskCacheOptions options) {
  if (roots.empty()) return Err(EINVAL, "no cache directory");
  options.capacity /= roots.size();
  auto tier = std::make_unique<DiskTier>();
  Status first;
  for (const std::string& root : roots) {
    auto dc = DiskCache::Open(root, options);
    if (dc) {
      tier->dirs_.push_back(std::move(*dc));
      continue;
    }
    TIERFS_LOG_WARN("cache directory left out: {}", dc.error().ToString());
    if (first.ok()) first = dc.error();
  }
  if (tier->dirs_.empty()) return Err(first);
  return tier;
}

DiskCache* DiskTier::Holder(const std::string& key) const {
  for (const auto& d : dirs_) {
    if (d->healthy() && d->Contains(key)) return d.get();
  }
  return nullptr;
}

std::optional<std::string> DiskTier::Load(const std::string& key, uint32_t len) {
  DiskCache* d = Holder(key);
  return d ? d->Load(key, len) : std::nullopt;
}

bool DiskTier::ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out) {
  DiskCache* d = Holder(key);
  return d != nullptr && d->ReadAt(key, len, off, out);
}

void DiskTier::Store(const std::string& key, std::string_view data) {
  std::vector<DiskCache*> healthy;
  for (const auto& d : dirs_) {
    if (d->healthy()) healthy.push_back(d.get());
  }
  if (healthy.empty()) return;
  healthy[Fnv1a(key) % healthy.size()]->Store(key, data);
}

void DiskTier::Remove(const std::string& key) {
  for (const auto& d : dirs_) d->Remove(key);
}

bool DiskTier::Adopt(const std::string& key, const std::string& path) {
  return dirs_[0]->Adopt(key, path);
}

bool DiskTier::Contains(const std::string& key) const { return Holder(key) != nullptr; }

uint64_t DiskTier::bytes() const {
  uint64_t n = 0;
  for (const auto& d : dirs_) n += d->bytes();
  return n;
}

}  // namespace tierfs::chunk
