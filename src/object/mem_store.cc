#include "object/mem_store.h"

#include <ctime>
#include <mutex>

#include "object/key.h"

namespace tierfs::object {

Result<std::string> MemStore::Get(std::string_view key, uint64_t off, int64_t limit) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Err(ENOENT, "no object '" + std::string(key) + "' in " + Describe());
  const std::string& data = it->second.data;
  if (off >= data.size()) return std::string();
  size_t n = data.size() - off;
  if (limit >= 0 && static_cast<uint64_t>(limit) < n) n = static_cast<size_t>(limit);
  return data.substr(off, n);
}

Status MemStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  Object obj{std::string(data), static_cast<int64_t>(std::time(nullptr))};
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    objects_.emplace(std::string(key), std::move(obj));
  } else {
    it->second = std::move(obj);
  }
  return Status::Ok();
}

Status MemStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return Status::Ok();
}

Result<ObjectInfo> MemStore::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Err(ENOENT, "no object '" + std::string(key) + "' in " + Describe());
  return ObjectInfo{it->first, it->second.data.size(), it->second.mtime};
}

Result<std::vector<ObjectInfo>> MemStore::List(std::string_view prefix, std::string_view marker,
                                               size_t limit) {
  std::vector<ObjectInfo> out;
  std::shared_lock lock(mu_);
  auto it = marker > prefix ? objects_.upper_bound(marker) : objects_.lower_bound(prefix);
  for (; it != objects_.end(); ++it) {
    if (!it->first.starts_with(prefix)) break;
    if (!marker.empty() && it->first <= marker) continue;
    out.push_back(ObjectInfo{it->first, it->second.data.size(), it->second.mtime});
    if (limit != 0 && out.size() == limit) break;
  }
  return out;
}

Result<std::unique_ptr<ObjectStore>> NewMemStore(const StoreConfig& config) {
  return std::make_unique<MemStore>(config.bucket);
}

}  // namespace tierfs::object
