// RedisEngine xattrs (x{ino} hash), BSD flocks (lockf{ino}: owner field -> "R"/"W") and POSIX
// locks (lockp{ino}: owner field -> plock records), each lock key also listed in locked{sid}
// so that a dead session's locks can be found (JuiceFS redis_lock.go, redis.go doSetXattr).
#include <algorithm>

#include "meta/plock.h"
#include "meta/perm.h"
#include "meta/redis/engine.h"

namespace tierfs::meta::redis {
namespace {

constexpr int kXattrCreate = 1;
constexpr int kXattrReplace = 2;

}  // namespace

Result<std::string> RedisEngine::DoGetXattr(Ino ino, std::string_view name) {
  std::string k = keys_.Xattrs(ino);
  ASSIGN_OR_RETURN(Reply r, Cached({"HGET", k, std::string(name)}, k));
  if (r.IsNil()) return Err(ENODATA, "no xattr " + std::string(name));
  return r.str;
}

Status RedisEngine::DoSetXattr(Ino ino, std::string_view name, std::string_view value,
                               uint32_t flags) {
  std::string k = keys_.Xattrs(ino);
  return Txn(keys_.Inode(ino), [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Attr * a, tx.Node(ino));
    ASSIGN_OR_RETURN(Reply r, tx.Read(k, {"HEXISTS", k, std::string(name)}));
    if (r.integer && (flags & kXattrCreate)) return Status(EEXIST, "xattr exists");
    if (!r.integer && (flags & kXattrReplace)) return Status(ENODATA, "no xattr " + std::string(name));
    tx.Queue({"HSET", k, std::string(name), std::string(value)});
    Touch(*a, false);
    return Status();
  });
}

Result<std::vector<std::string>> RedisEngine::DoListXattr(Ino ino) {
  ASSIGN_OR_RETURN(auto rs, DoAll({{"EXISTS", keys_.Inode(ino)}, {"HKEYS", keys_.Xattrs(ino)}}));
  if (rs[0].integer == 0) return Err(ENOENT, "no inode " + std::to_string(ino));
  std::vector<std::string> out;
  for (const Reply& n : rs[1].elems) out.push_back(n.str);
  std::sort(out.begin(), out.end());
  return out;
}

Status RedisEngine::DoRemoveXattr(Ino ino, std::string_view name) {
  std::string k = keys_.Xattrs(ino);
  bool had = false;
  Status st = Txn(k, [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Reply r, tx.Read(k, {"HEXISTS", k, std::string(name)}));
    had = r.integer != 0;
    if (had) tx.Queue({"HDEL", k, std::string(name)});
    return Status();
  });
  if (!st.ok()) return st;
  if (!had) return Status(ENODATA, "no xattr " + std::string(name));
  return Status();
}

Status RedisEngine::DoFlock(Ino ino, uint64_t sid, uint64_t owner, uint32_t type) {
  std::string k = keys_.Flocks(ino), me = LockOwnerField(sid, owner);
  return Txn(k, [&](Tx& tx) -> Status {
    if (type == kLockUnlock) {
      tx.Queue({"HDEL", k, me});
      return Status();
    }
    ASSIGN_OR_RETURN(Reply all, tx.Read(k, {"HGETALL", k}));
    for (size_t i = 0; i + 1 < all.elems.size(); i += 2) {
      if (all.elems[i].str == me) continue;
      if (type == kLockWrite || all.elems[i + 1].str == "W") return Status(EAGAIN, "flock held by another owner");
    }
    tx.Queue({"HSET", k, me, type == kLockWrite ? "W" : "R"});
    tx.Queue({"SADD", keys_.Locked(sid), k});
    return Status();
  });
}

Result<PosixLock> RedisEngine::DoGetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& probe) {
  std::string k = keys_.Plocks(ino), me = LockOwnerField(sid, owner);
  ASSIGN_OR_RETURN(Reply all, Do({"HGETALL", k}));
  for (size_t i = 0; i + 1 < all.elems.size(); i += 2) {
    if (all.elems[i].str == me) continue;
    for (const auto& l : DecodePlocks(all.elems[i + 1].str)) {
      if (PlocksConflict(l, probe)) return l;
    }
  }
  return PosixLock{kLockUnlock, 0, 0, 0};
}

Status RedisEngine::DoSetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& lock) {
  std::string k = keys_.Plocks(ino), me = LockOwnerField(sid, owner);
  return Txn(k, [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Reply all, tx.Read(k, {"HGETALL", k}));
    std::vector<PosixLock> mine;
    for (size_t i = 0; i + 1 < all.elems.size(); i += 2) {
      auto locks = DecodePlocks(all.elems[i + 1].str);
      if (all.elems[i].str == me) {
        mine = std::move(locks);
        continue;
      }
      if (lock.type == kLockUnlock) continue;
      for (const auto& l : locks) {
        if (PlocksConflict(l, lock)) return Status(EAGAIN, "range locked by another owner");
      }
    }
    auto next = UpdatePlocks(mine, lock);
    if (next.empty()) {
      tx.Queue({"HDEL", k, me});
      return Status();
    }
    tx.Queue({"HSET", k, me, EncodePlocks(next)});
    tx.Queue({"SADD", keys_.Locked(sid), k});
    return Status();
  });
}

}  // namespace tierfs::meta::redis
