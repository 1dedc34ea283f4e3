#include "vfs/page_cache_policy.h"

namespace tierfs::vfs {

bool PageCachePolicy::Open(meta::Ino ino, const meta::Attr& a) {
  Stamp now{a.length, a.mtime, a.ctime, a.mtimensec, a.ctimensec};
  std::lock_guard lk(mu_);
  auto it = stamps_.find(ino);
  if (it != stamps_.end()) {
    bool same = it->second == now;
    it->second = now;
    return same;
  }
  if (stamps_.size() >= kMaxEntries) stamps_.clear();
  stamps_.emplace(ino, now);
  return false;
}

void PageCachePolicy::Forget(meta::Ino ino) {
  std::lock_guard lk(mu_);
  stamps_.erase(ino);
}

}  // namespace tierfs::vfs
