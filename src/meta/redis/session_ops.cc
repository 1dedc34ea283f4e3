// RedisEngine sessions: allSessions (zset sid -> expiry, unix s), sessionInfos (hash sid ->
// JSON), session{sid} (sustained inodes), locked{sid} (lock keys held); the cleanup of a dead
// session as JuiceFS redis.go doCleanStaleSession does it.
#include <algorithm>
#include <map>
#include <string>

#include "meta/perm.h"
#include "meta/redis/engine.h"

namespace tierfs::meta::redis {

Status RedisEngine::DoNewSession(uint64_t sid, int64_t expire, const std::string& info_json) {
  std::string s = std::to_string(sid);
  return Txn(keys_.Named("allSessions"), [&](Tx& tx) -> Status {
    tx.Queue({"ZADD", keys_.Named("allSessions"), std::to_string(expire), s});
    tx.Queue({"HSET", keys_.Named("sessionInfos"), s, info_json});
    return Status();
  });
}

Status RedisEngine::DoRefreshSession(uint64_t sid, int64_t expire) {
  std::string s = std::to_string(sid), z = keys_.Named("allSessions");
  bool gone = false;
  Status st = Txn(z, [&](Tx& tx) -> Status {
    ASSIGN_OR_RETURN(Reply score, tx.Read(z, {"ZSCORE", z, s}));
    gone = score.IsNil();
    if (!gone) tx.Queue({"ZADD", z, "XX", std::to_string(expire), s});
    return Status();
  });
  if (!st.ok()) return st;
  if (gone) return Status(ENOENT, "session " + s + " was cleaned up by another client");
  return Status();
}

Result<std::vector<std::pair<uint64_t, int64_t>>> RedisEngine::DoListSessions(
    std::vector<std::string>* infos) {
  ASSIGN_OR_RETURN(auto rs, DoAll({{"ZRANGE", keys_.Named("allSessions"), "0", "-1", "WITHSCORES"},
                                    {"HGETALL", keys_.Named("sessionInfos")}}));
  std::map<uint64_t, std::string> info;
  const auto& kv = rs[1].elems;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    if (auto id = ParseInt(kv[i].str)) info[uint64_t(*id)] = kv[i + 1].str;
  }
  // RESP2: flat [member, score, ...]; RESP3: [[member, score], ...].
  std::vector<std::pair<uint64_t, int64_t>> out;
  const auto& z = rs[0].elems;
  auto add = [&](const Reply& m, const Reply& sc) {
    auto id = ParseInt(m.str);
    if (!id) return;
    int64_t expire = sc.type == Reply::Type::kDouble || sc.type == Reply::Type::kString
                         ? static_cast<int64_t>(std::stod(sc.str.empty() ? "0" : sc.str))
                         : sc.integer;
    out.emplace_back(uint64_t(*id), expire);
  };
  for (size_t i = 0; i < z.size();) {
    if (z[i].type == Reply::Type::kArray && z[i].elems.size() == 2) {
      add(z[i].elems[0], z[i].elems[1]);
      i += 1;
    } else if (i + 1 < z.size()) {
      add(z[i], z[i + 1]);
      i += 2;
    } else {
      break;
    }
  }
  std::sort(out.begin(), out.end());
  if (infos) {
    infos->clear();
    for (auto& [sid, e] : out) infos->push_back(info.count(sid) ? info[sid] : "{}");
  }
  return out;
}

Result<std::vector<uint64_t>> RedisEngine::DoStaleSessions(int64_t now) {
  ASSIGN_OR_RETURN(Reply r, Do({"ZRANGEBYSCORE", keys_.Named("allSessions"), "-inf", "(" + std::to_string(now),
                                "LIMIT", "0", "1000"}));
  std::vector<uint64_t> out;
  for (const Reply& m : r.elems) {
    if (auto id = ParseInt(m.str)) out.push_back(uint64_t(*id));
  }
  return out;
}

Result<std::vector<Ino>> RedisEngine::DoCleanSession(uint64_t sid) {
  const std::string s = std::to_string(sid);
  // Locks: every lock key the session listed loses the session's fields.
  std::string lk = keys_.Locked(sid);
  ASSIGN_OR_RETURN(Reply locked, Do({"SMEMBERS", lk}));
  for (const Reply& key : locked.elems) {
    Status st = Txn(key.str, [&](Tx& tx) -> Status {
      ASSIGN_OR_RETURN(Reply fields, tx.Read(key.str, {"HKEYS", key.str}));
      Command del{"HDEL", key.str};
      for (const Reply& f : fields.elems) {
        auto owner = ParseLockOwnerField(f.str);
        if (owner && owner->first == sid) del.push_back(f.str);
      }
      if (del.size() > 2) tx.Queue(std::move(del));
      tx.Queue({"SREM", lk, key.str});
      return Status();
    });
    if (!st.ok()) return Err(st);
  }
  // Sustained inodes: those without links are freed.
  std::vector<Ino> freed;
  ASSIGN_OR_RETURN(Reply sustained, Do({"SMEMBERS", keys_.Sustained(sid)}));
  for (const Reply& m : sustained.elems) {
    auto ino = ParseInt(m.str);
    if (!ino) continue;
    ASSIGN_OR_RETURN(bool gone, DoReleaseSustained(sid, Ino(*ino)));
    if (gone) freed.push_back(Ino(*ino));
  }
  Status st = Txn(keys_.Named("allSessions"), [&](Tx& tx) -> Status {
    tx.Queue({"DEL", keys_.Sustained(sid), lk});
    tx.Queue({"HDEL", keys_.Named("sessionInfos"), s});
    tx.Queue({"ZREM", keys_.Named("allSessions"), s});
    return Status();
  });
  if (!st.ok()) return Err(st);
  return freed;
}

}  // namespace tierfs::meta::redis
