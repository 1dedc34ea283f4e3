#include "meta/sql/engine.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "util/log.h"

namespace tierfs::meta::sql {
namespace {

constexpr const char* kNodeCols =
    "inode,type,flags,mode,uid,gid,atime,mtime,ctime,atimensec,mtimensec,ctimensec,nlink,length,"
    "rdev,parent,access_acl_id,default_acl_id";

// Retry budget for a transaction that keeps finding the database locked.
constexpr int kMaxTxnRetries = 50;

void SplitTime(int64_t us, int64_t nsrem, int64_t& s, uint32_t& ns) {
  int64_t sec = us / 1000000, rem = us % 1000000;
  if (rem < 0) { rem += 1000000; --sec; }
  s = sec;
  ns = static_cast<uint32_t>(rem * 1000 + nsrem);
}

int64_t MicrosOf(int64_t s, uint32_t ns) { return s * 1000000 + ns / 1000; }

}  // namespace

std::string NodeColsOf(std::string_view alias) {
  std::string out;
  std::string_view cols = kNodeCols;
  for (size_t pos = 0; pos <= cols.size();) {
    size_t comma = cols.find(',', pos);
    if (comma == std::string_view::npos) comma = cols.size();
    if (!out.empty()) out += ',';
    out += std::string(alias) + "." + std::string(cols.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

Attr AttrFromRow(const Row& row, size_t first) {
  // Columns of kNodeCols starting at `first` (inode at first + 0).
  struct Shifted {
    const Row& r;
    size_t f;
    int64_t I(size_t c) const { return r.I(f + c); }
    uint64_t U(size_t c) const { return r.U(f + c); }
  } r{row, first};
  Attr a;
  a.type = static_cast<FileType>(r.I(1));
  a.flags = static_cast<uint8_t>(r.I(2));
  a.mode = static_cast<uint16_t>(r.I(3));
  a.uid = static_cast<uint32_t>(r.I(4));
  a.gid = static_cast<uint32_t>(r.I(5));
  SplitTime(r.I(6), r.I(9), a.atime, a.atimensec);
  SplitTime(r.I(7), r.I(10), a.mtime, a.mtimensec);
  SplitTime(r.I(8), r.I(11), a.ctime, a.ctimensec);
  a.nlink = static_cast<uint32_t>(r.I(12));
  a.length = r.U(13);
  a.rdev = static_cast<uint32_t>(r.I(14));
  a.parent = r.U(15);
  a.access_acl = static_cast<uint32_t>(r.I(16));
  a.default_acl = static_cast<uint32_t>(r.I(17));
  a.full = true;
  return a;
}

namespace {

Args NodeArgs(const Attr& a) {
  return {static_cast<int>(a.type), static_cast<int>(a.flags), static_cast<int>(a.mode), a.uid, a.gid,
          MicrosOf(a.atime, a.atimensec), MicrosOf(a.mtime, a.mtimensec),
          MicrosOf(a.ctime, a.ctimensec), static_cast<int>(a.atimensec % 1000),
          static_cast<int>(a.mtimensec % 1000), static_cast<int>(a.ctimensec % 1000), a.nlink,
          a.length, a.rdev, a.parent, a.access_acl, a.default_acl};
}

}  // namespace

SqlEngine::SqlEngine(std::string name, std::unique_ptr<Connector> connector,
                     const Dialect& dialect)
    : name_(std::move(name)), pool_(std::move(connector)), dialect_(dialect) {}

namespace {
// Directories whose jfs_dir_stats row was missing in the running transaction of this thread.
thread_local std::vector<Ino> t_missing_dir_stats;
}  // namespace

Status SqlEngine::Txn(bool write, const std::function<Status(Conn&)>& fn) {
  Status st = TxnOnce(write, fn);
  if (t_missing_dir_stats.empty()) return st;
  std::vector<Ino> dirs;
  dirs.swap(t_missing_dir_stats);
  if (!st.ok()) return st;
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  // After the commit, so the sums include the change that found the row missing.
  for (Ino dir : dirs) {
    if (Status s = SyncDirStat(dir); !s.ok() && s.code() != ENOENT) {
      TIERFS_LOG_WARN("dir stats of inode {}: {}", dir, s.ToString());
    }
  }
  return st;
}

Status SqlEngine::SyncDirStat(Ino dir) {
  return TxnOnce(true, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Attr d, MustGetNode(c, dir));
    if (d.type != FileType::kDirectory) return Status(ENOTDIR, "not a directory");
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT e.type,n.length FROM jfs_edge e LEFT JOIN jfs_node n "
                                        "ON n.inode=e.inode WHERE e.parent=?", {dir}));
    int64_t length = 0, space = 0, inodes = 0;
    for (auto& r : rows) {  // JuiceFS calcDirStat
      uint64_t len = static_cast<FileType>(r.I(0)) == FileType::kFile && !r.IsNull(1) ? r.U(1) : 0;
      length += static_cast<int64_t>(len);
      space += Align4K(len);
      ++inodes;
    }
    return ToStatus(c.Exec("INSERT INTO jfs_dir_stats (inode,data_length,used_space,used_inodes) VALUES (?,?,?,?) "
                           "ON CONFLICT(inode) DO UPDATE SET data_length=excluded.data_length,"
                           "used_space=excluded.used_space,used_inodes=excluded.used_inodes",
                           {dir, length, space, inodes}));
  });
}

Status SqlEngine::TxnOnce(bool write, const std::function<Status(Conn&)>& fn) {
  thread_local std::minstd_rand rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    t_missing_dir_stats.clear();
    ASSIGN_OR_RETURN(auto lease, pool_.Acquire(write));
    Status st = lease->Begin(write);
    if (st.ok()) {
      st = fn(*lease);
      if (st.ok()) st = lease->Commit();
    }
    if (!st.ok()) lease->Rollback();
    if (st.code() != EBUSY || attempt >= kMaxTxnRetries) {
      if (st.code() == EBUSY) return Status(EIO, name_ + ": database stays locked: " + st.message());
      return st;
    }
    std::function<void()> restart;
    {
      std::lock_guard lk(hooks_mu_);
      restart = hooks_.txn_restart;
    }
    if (restart) restart();
    // Backoff outside the writer lease (it is released at the end of this iteration).
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % ((attempt + 1) * 5) + 1));
  }
}

Result<bool> SqlEngine::HasDirQuotas() {
  bool any = false;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto tables, c.Query(dialect_.ListTables()));
    any = false;
    for (auto& t : tables) {
      if (t.B(0) != "jfs_dir_quota") continue;
      ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT inode FROM jfs_dir_quota LIMIT 1"));
      any = r.has_value();
    }
    return Status();
  });
  if (!st.ok()) return Err(st);
  return any;
}

Status SqlEngine::CheckReadable() {
  return Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto rows, c.Query(dialect_.ListTables()));
    bool has_setting = false;
    for (auto& r : rows) has_setting |= r.B(0) == "jfs_setting";
    if (!rows.empty() && !has_setting) {
      return Status(EIO, name_ + ": database has jfs_ tables but no jfs_setting: corrupt volume");
    }
    return Status();
  });
}

Result<std::optional<std::string>> SqlEngine::LoadSetting() {
  std::optional<std::string> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto tables, c.Query(dialect_.ListTables()));
    bool has_setting = false;
    for (auto& t : tables) has_setting |= t.B(0) == "jfs_setting";
    if (!has_setting) return Status();
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT value FROM jfs_setting WHERE name='format'"));
    if (r) out = r->B(0);
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Status SqlEngine::DoInit(const std::string& setting_json, const Attr& root,
                         std::optional<Attr> trash, bool force) {
  return Txn(true, [&](Conn& c) -> Status {
    for (const auto& ddl : dialect_.Schema()) RETURN_IF_ERROR(c.Exec(ddl));
    ASSIGN_OR_RETURN(auto cur, c.QueryOne("SELECT value FROM jfs_setting WHERE name='format'"));
    if (cur) {
      if (!force) return Status(EEXIST, "volume already formatted");
      RETURN_IF_ERROR(c.Exec("UPDATE jfs_setting SET value=? WHERE name='format'", {Value::Text(setting_json)}));
    } else {
      RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_setting (name,value) VALUES ('format',?)", {Value::Text(setting_json)}));
      for (auto [n, v] : {std::pair{"nextInode", 2}, {"nextChunk", 1}, {"nextSession", 0},
                          {"usedSpace", 0}, {"totalInodes", 0}, {"nextCleanupSlices", 0}}) {
        RETURN_IF_ERROR(c.Exec(dialect_.InsertIgnore("jfs_counter", "name,value", 2), {n, v}));
      }
    }
    if (!cur || force) {
      ASSIGN_OR_RETURN(auto r, GetNode(c, kRootIno));
      if (!r) RETURN_IF_ERROR(InsertNode(c, kRootIno, root));
      if (trash) {
        ASSIGN_OR_RETURN(auto t, GetNode(c, kTrashIno));
        if (!t) RETURN_IF_ERROR(InsertNode(c, kTrashIno, *trash));
      }
    }
    return Status();
  });
}

Result<int64_t> SqlEngine::IncrCounter(std::string_view name, int64_t delta) {
  int64_t v = 0;
  Status st = Txn(true, [&](Conn& c) -> Status {
    RETURN_IF_ERROR(AddCounter(c, name, delta));
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT value FROM jfs_counter WHERE name=?", {Value::Text(name)}));
    v = r ? r->I(0) : 0;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return v;
}

Result<int64_t> SqlEngine::GetCounter(std::string_view name) {
  int64_t v = 0;
  Status st = Txn(false, [&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT value FROM jfs_counter WHERE name=?", {Value::Text(name)}));
    v = r ? r->I(0) : 0;
    return Status();
  });
  if (!st.ok()) return Err(st);
  return v;
}

Result<bool> SqlEngine::SetIfSmall(std::string_view name, int64_t value, int64_t diff) {
  bool changed = false;
  Status st = Txn(true, [&](Conn& c) -> Status {
    changed = false;
    ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT value FROM jfs_counter WHERE name=?", {Value::Text(name)}));
    if (r && r->I(0) > value - diff) return Status();
    changed = true;
    if (r) return ToStatus(c.Exec("UPDATE jfs_counter SET value=? WHERE name=?", {value, Value::Text(name)}));
    return ToStatus(c.Exec("INSERT INTO jfs_counter (name,value) VALUES (?,?)", {Value::Text(name), value}));
  });
  if (!st.ok()) return Err(st);
  return changed;
}

void SqlEngine::SetHooks(EngineHooks hooks) {
  std::lock_guard lk(hooks_mu_);
  hooks_ = std::move(hooks);
}

Status SqlEngine::AddDirStat(Conn& c, Ino dir, int64_t length, int64_t space, int64_t inodes) {
  if (!dir_stats() || dir == 0 || IsTrash(dir) || (!length && !space && !inodes)) return Status();
  ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_dir_stats SET data_length=data_length+?,"
                                  "used_space=used_space+?,used_inodes=used_inodes+? WHERE inode=?",
                                  {length, space, inodes, dir}));
  if (n > 0) return Status();
  // No row (the root of a new volume, a directory made with dir stats off, a lost row): it is
  // computed from the directory's entries once this transaction commits (JuiceFS calcDirStat).
  t_missing_dir_stats.push_back(dir);
  return Status();
}

Status SqlEngine::AddParentsStat(Conn& c, Ino ino, const Attr& a, int64_t length, int64_t space) {
  // An unlinked (sustained) file is in no directory any more: its old parent is left alone.
  if (!dir_stats() || (!length && !space) || a.nlink == 0) return Status();
  if (a.parent != 0) return AddDirStat(c, a.parent, length, space, 0);
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT parent FROM jfs_edge WHERE inode=?", {ino}));
  for (auto& r : rows) RETURN_IF_ERROR(AddDirStat(c, r.U(0), length, space, 0));
  return Status();
}

Status SqlEngine::AddCounter(Conn& c, std::string_view name, int64_t delta) {
  ASSIGN_OR_RETURN(auto n, c.Exec("UPDATE jfs_counter SET value=value+? WHERE name=?", {delta, Value::Text(name)}));
  if (n == 0) RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_counter (name,value) VALUES (?,?)", {Value::Text(name), delta}));
  return Status();
}

Status SqlEngine::AddUsage(Conn& c, int64_t space, int64_t inodes) {
  if (space) RETURN_IF_ERROR(AddCounter(c, "usedSpace", space));
  if (inodes) RETURN_IF_ERROR(AddCounter(c, "totalInodes", inodes));
  return Status();
}

Result<std::optional<Attr>> SqlEngine::GetNode(Conn& c, Ino ino) {
  ASSIGN_OR_RETURN(auto r, c.QueryOne(std::string("SELECT ") + kNodeCols + " FROM jfs_node WHERE inode=?", {ino}));
  if (!r) return std::optional<Attr>();
  return std::optional<Attr>(AttrFromRow(*r, 0));
}

Result<std::map<Ino, Attr>> SqlEngine::GetNodes(Conn& c, std::span<const Ino> inos) {
  std::map<Ino, Attr> out;
  if (inos.empty()) return out;
  std::string sql = std::string("SELECT ") + kNodeCols + " FROM jfs_node WHERE inode IN (?";
  for (size_t i = 1; i < inos.size(); ++i) sql += ",?";
  sql += ")";
  Args args(inos.begin(), inos.end());
  ASSIGN_OR_RETURN(auto rows, c.Query(sql, args));
  for (auto& r : rows) out.emplace(r.U(0), AttrFromRow(r, 0));
  return out;
}

Result<Attr> SqlEngine::MustGetNode(Conn& c, Ino ino) {
  ASSIGN_OR_RETURN(auto a, GetNode(c, ino));
  if (!a) return Err(ENOENT, "no inode " + std::to_string(ino));
  return *a;
}

Status SqlEngine::InsertNode(Conn& c, Ino ino, const Attr& a) {
  Args args{ino};
  for (auto& v : NodeArgs(a)) args.push_back(v);
  args.push_back(0);  // tier_id
  return ToStatus(c.Exec(std::string("INSERT INTO jfs_node (") + kNodeCols +
                             ",tier_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", args));
}

Status SqlEngine::UpdateNode(Conn& c, Ino ino, const Attr& a) {
  Args args = NodeArgs(a);
  args.push_back(ino);
  return ToStatus(c.Exec(
      "UPDATE jfs_node SET type=?,flags=?,mode=?,uid=?,gid=?,atime=?,mtime=?,ctime=?,atimensec=?,"
      "mtimensec=?,ctimensec=?,nlink=?,length=?,rdev=?,parent=?,access_acl_id=?,default_acl_id=? "
      "WHERE inode=?", args));
}

Result<std::optional<std::pair<Ino, FileType>>> SqlEngine::GetEdge(Conn& c, Ino parent,
                                                                    std::string_view name) {
  ASSIGN_OR_RETURN(auto r, c.QueryOne("SELECT inode,type FROM jfs_edge WHERE parent=? AND name=?", {parent, name}));
  if (!r) return std::optional<std::pair<Ino, FileType>>();
  return std::optional<std::pair<Ino, FileType>>({r->U(0), static_cast<FileType>(r->I(1))});
}

Status SqlEngine::RetireInode(Conn& c, Ino ino, const Attr& a, uint64_t sid, bool open,
                              Removed& out) {
  out.ino = ino;
  out.attr = a;
  RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_xattr WHERE inode=?", {ino}));
  if (a.type != FileType::kFile) {
    RETURN_IF_ERROR(AddUsage(c, -Align4K(0), -1));
    RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_symlink WHERE inode=?", {ino}));
    return ToStatus(c.Exec("DELETE FROM jfs_node WHERE inode=?", {ino}));
  }
  if (open) {
    // Still charged while open (JuiceFS doUnlink): DeleteSustained subtracts at the last close.
    out.sustained = true;
    return ToStatus(c.Exec("INSERT INTO jfs_sustained (sid,inode) VALUES (?,?) ON CONFLICT DO NOTHING", {sid, ino}));
  }
  RETURN_IF_ERROR(AddUsage(c, -Align4K(a.length), -1));
  out.freed = true;
  const int64_t s = tierfs::Now().sec;
  RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_delfile (inode,length,expire) VALUES (?,?,?) ON CONFLICT(inode) DO "
                         "UPDATE SET length=excluded.length, expire=excluded.expire", {ino, a.length, s}));
  return ToStatus(c.Exec("DELETE FROM jfs_node WHERE inode=?", {ino}));
}

Result<bool> SqlEngine::FreeSustained(Conn& c, Ino ino) {
  ASSIGN_OR_RETURN(auto a, GetNode(c, ino));
  if (!a || a->nlink > 0) return false;
  const int64_t s = tierfs::Now().sec;
  RETURN_IF_ERROR(c.Exec("INSERT INTO jfs_delfile (inode,length,expire) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                         {ino, a->length, s}));
  RETURN_IF_ERROR(c.Exec("DELETE FROM jfs_node WHERE inode=?", {ino}));
  RETURN_IF_ERROR(AddUsage(c, -Align4K(a->length), -1));
  return true;
}

}  // namespace tierfs::meta::sql
