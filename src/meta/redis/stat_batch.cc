#include "meta/redis/stat_batch.h"

namespace tierfs::meta::redis {

void StatDeltas::Merge(const StatDeltas& o) {
  space += o.space;
  inodes += o.inodes;
  for (const auto& [ino, d] : o.dirs) {
    Dir& mine = dirs[ino];
    mine.length += d.length;
    mine.space += d.space;
    mine.inodes += d.inodes;
  }
}

void StatBatch::Add(const StatDeltas& d) {
  if (d.empty()) return;
  std::lock_guard lk(mu_);
  pending_.Merge(d);
}

StatDeltas StatBatch::Take() {
  std::lock_guard lk(mu_);
  StatDeltas out;
  std::swap(out, pending_);
  return out;
}

int64_t StatBatch::PendingSpace() const {
  std::lock_guard lk(mu_);
  return pending_.space;
}

int64_t StatBatch::PendingInodes() const {
  std::lock_guard lk(mu_);
  return pending_.inodes;
}

const std::string& StatBatch::Script() {
  // A directory field is only added to while it exists: HINCRBY would bring back the fields of
  // a directory removed since (its rmdir deletes them).
  static const std::string s = R"(
if ARGV[1] ~= '0' then redis.call('INCRBY', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '0' then redis.call('INCRBY', KEYS[2], ARGV[2]) end
for i = 3, #ARGV, 4 do
  local f = ARGV[i]
  if redis.call('HEXISTS', KEYS[4], f) == 1 then
    if ARGV[i + 1] ~= '0' then redis.call('HINCRBY', KEYS[3], f, ARGV[i + 1]) end
    if ARGV[i + 2] ~= '0' then redis.call('HINCRBY', KEYS[4], f, ARGV[i + 2]) end
    if ARGV[i + 3] ~= '0' then redis.call('HINCRBY', KEYS[5], f, ARGV[i + 3]) end
  end
end
return 0
)";
  return s;
}

std::vector<std::string> StatBatch::Args(const StatDeltas& d) {
  std::vector<std::string> a = {std::to_string(d.space), std::to_string(d.inodes)};
  a.reserve(2 + 4 * d.dirs.size());
  for (const auto& [ino, dir] : d.dirs) {
    if (dir.length == 0 && dir.space == 0 && dir.inodes == 0) continue;
    a.push_back(std::to_string(ino));
    a.push_back(std::to_string(dir.length));
    a.push_back(std::to_string(dir.space));
    a.push_back(std::to_string(dir.inodes));
  }
  return a;
}

}  // namespace tierfs::meta::redis
