// SqlEngine sessions: jfs_session2 rows (expire in unix seconds, info JSON) and the cleanup of
// a session's locks and sustained inodes.
#include "meta/sql/engine.h"

namespace tierfs::meta::sql {

Status SqlEngine::DoNewSession(uint64_t sid, int64_t expire, const std::string& info_json) {
  return Txn(true, [&](Conn& c) -> Status {
    return ToStatus(c.Exec("INSERT INTO jfs_session2 (sid,expire,info) VALUES (?,?,?)", {sid, expire, info_json}));
  });
}

Status SqlEngine::DoRefreshSession(uint64_t sid, int64_t expire) {
  return Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_session2 SET expire=? WHERE sid=?", {expire, sid}));
    if (n == 0) return Status(ENOENT, "session " + std::to_string(sid) + " was cleaned up by another client");
    return Status();
  });
}

Result<std::vector<std::pair<uint64_t, int64_t>>> SqlEngine::DoListSessions(
    std::vector<std::string>* infos) {
  std::vector<std::pair<uint64_t, int64_t>> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid,expire,info FROM jfs_session2 ORDER BY sid"));
    out.clear();
    if (infos) infos->clear();
    for (auto& r : rows) {
      out.emplace_back(r.U(0), r.I(1));
      if (infos) infos->push_back(r.B(2));
    }
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<std::vector<uint64_t>> SqlEngine::DoStaleSessions(int64_t now) {
  std::vector<uint64_t> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid FROM jfs_session2 WHERE expire < ?", {now}));
    out.clear();
    for (auto& r : rows) out.push_back(r.U(0));
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<std::vector<Ino>> SqlEngine::DoCleanSession(uint64_t sid) {
  std::vector<Ino> freed;
  Status st = Txn(true, [&](Conn& c) -> Status {
    freed.clear();
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_flock WHERE sid=?", {sid}));
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_plock WHERE sid=?", {sid}));
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT inode FROM jfs_sustained WHERE sid=?", {sid}));
    for (auto& r : rows) {
      ASSIGN_OR_RETURN(bool gone, FreeSustained(c, r.U(0)));
      if (gone) freed.push_back(r.U(0));
    }
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_sustained WHERE sid=?", {sid}));
    return ToStatus(c.Exec("DELETE FROM jfs_session2 WHERE sid=?", {sid}));
  });
  if (!st.ok()) return Err(st);
  return freed;
}

}  // namespace tierfs::meta::sql
