// SqlEngine xattrs (jfs_xattr), BSD flocks (jfs_flock, ltype 'R'/'W' as JuiceFS stores the
// byte) and POSIX locks (jfs_plock, records per meta/plock.h).
#include "meta/plock.h"
#include "meta/sql/engine.h"

namespace tierfs::meta::sql {
namespace {

constexpr int kXattrCreate = 1;
constexpr int kXattrReplace = 2;
constexpr int64_t kFlockRead = 'R';
constexpr int64_t kFlockWrite = 'W';

}  // namespace

Result<std::string> SqlEngine::DoGetXattr(Ino ino, std::string_view name) {
  std::string v;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT value FROM jfs_xattr WHERE inode=? AND name=?", {ino, Value::Text(name)}));
    if (!r) return Status(ENODATA, "no xattr " + std::string(name));
    v = r->B(0);
    return Status();
  });
  if (!st.ok()) return Err(st);
  return v;
}

Status SqlEngine::DoSetXattr(Ino ino, std::string_view name, std::string_view value,
                             uint32_t flags) {
  return Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr a, MustGetNode(c, ino));
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT id FROM jfs_xattr WHERE inode=? AND name=?", {ino, Value::Text(name)}));
    if (r && (flags & kXattrCreate)) return Status(EEXIST, "xattr exists");
    if (!r && (flags & kXattrReplace)) return Status(ENODATA, "no xattr " + std::string(name));
    if (r) {
      RETURN_IF_ERROR(c.Exec("UPDATE jfs_xattr SET value=? WHERE id=?", {value, r->I(0)}));
    } else {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_xattr (inode,name,value) VALUES (?,?,?)", {ino, Value::Text(name), value}));
    }
    Touch(a, false);
    return UpdateNode(c, ino, a);
  });
}

Result<std::vector<std::string>> SqlEngine::DoListXattr(Ino ino) {
  std::vector<std::string> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    RETURN_IF_ERROR(MustGetNode(c, ino));
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT name FROM jfs_xattr WHERE inode=? ORDER BY name", {ino}));
    out.clear();
    for (auto& r : rows) out.push_back(r.B(0));
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Status SqlEngine::DoRemoveXattr(Ino ino, std::string_view name) {
  return Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto n, c.Exec("DELETE FROM jfs_xattr WHERE inode=? AND name=?", {ino, Value::Text(name)}));
    if (n == 0) return Status(ENODATA, "no xattr " + std::string(name));
    return Status();
  });
}

Status SqlEngine::DoFlock(Ino ino, uint64_t sid, uint64_t owner, uint32_t type) {
  return Txn(true, [&](Conn& c) -> Status {
    if (type == kLockUnlock) {
      return ToStatus(c.Exec("DELETE FROM jfs_flock WHERE inode=? AND sid=? AND owner=?", {ino, sid, owner}));
    }
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid,owner,ltype FROM jfs_flock WHERE inode=?", {ino}));
    for (auto& r : rows) {
      if (r.U(0) == sid && r.U(1) == owner) continue;
      if (type == kLockWrite || r.I(2) == kFlockWrite) return Status(EAGAIN, "flock held by another owner");
    }
    int64_t lt = type == kLockWrite ? kFlockWrite : kFlockRead;
    ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_flock SET ltype=? WHERE inode=? AND sid=? AND owner=?", {lt, ino, sid, owner}));
    if (n == 0) {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_flock (inode,sid,owner,ltype) VALUES (?,?,?,?)", {ino, sid, owner, lt}));
    }
    return Status();
  });
}

Result<PosixLock> SqlEngine::DoGetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& probe) {
  PosixLock out{kLockUnlock, 0, 0, 0};
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid,owner,records FROM jfs_plock WHERE inode=?", {ino}));
    for (auto& r : rows) {
      if (r.U(0) == sid && r.U(1) == owner) continue;
      for (const auto& l : DecodePlocks(r.B(2))) {
        if (PlocksConflict(l, probe)) {
          out = l;
          return Status();
        }
      }
    }
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Status SqlEngine::DoSetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& lock) {
  return Txn(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid,owner,records FROM jfs_plock WHERE inode=?", {ino}));
    std::vector<PosixLock> mine;
    bool have = false;
    for (auto& r : rows) {
      auto locks = DecodePlocks(r.B(2));
      if (r.U(0) == sid && r.U(1) == owner) {
        mine = std::move(locks);
        have = true;
        continue;
      }
      if (lock.type == kLockUnlock) continue;
      for (const auto& l : locks) {
        if (PlocksConflict(l, lock)) return Status(EAGAIN, "range locked by another owner");
      }
    }
    auto next = UpdatePlocks(mine, lock);
    if (next.empty()) {
      return ToStatus(c.Exec("DELETE FROM jfs_plock WHERE inode=? AND sid=? AND owner=?", {ino, sid, owner}));
    }
    if (have) {
      return ToStatus(c.Exec("UPDATE jfs_plock SET records=? WHERE inode=? AND sid=? AND owner=?",
                             {EncodePlocks(next), ino, sid, owner}));
    }
    return ToStatus(c.Exec("INSERT INTO jfs_plock (inode,sid,owner,records) VALUES (?,?,?,?)",
                           {ino, sid, owner, EncodePlocks(next)}));
  });
}

}  // namespace tierfs::meta::sql
