// The SQL engine's side of dump and load (meta/dump.h): listing jfs_delfile and jfs_sustained,
// and the raw writes of a load, all in ONE write transaction that Commit ends (a failed or
// abandoned load rolls back, leaving the database as it was: no table, no row).
#include <string>

#include "meta/sql/engine.h"

namespace tierfs::meta::sql {

Result<std::vector<DelFileRow>> SqlEngine::ListAllDelFiles() {
  std::vector<DelFileRow> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    out.clear();
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT inode,length,expire FROM jfs_delfile ORDER BY inode"));
    for (auto& r : rows) out.push_back({r.U(0), r.U(1), r.I(2)});
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

Result<std::vector<std::pair<uint64_t, Ino>>> SqlEngine::ListSustained() {
  std::vector<std::pair<uint64_t, Ino>> out;
  Status st = Txn(false, [&](Conn& c) -> Status {
    out.clear();
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT sid,inode FROM jfs_sustained ORDER BY sid,inode"));
    for (auto& r : rows) out.emplace_back(r.U(0), r.U(1));
    return Status();
  });
  if (!st.ok()) return Err(st);
  return out;
}

namespace {

class SqlLoadWriter : public LoadWriter {
 public:
  explicit SqlLoadWriter(ConnPool::Lease lease) : c_(std::move(lease)) {}
  ~SqlLoadWriter() override {
    if (open_) c_->Rollback();
  }

  Status Start(const Dialect& dialect, const std::string& engine) {
    RETURN_IF_ERROR(c_->Begin(true));
    open_ = true;
    ASSIGN_OR_RETURN(auto tables, c_->Query(dialect.ListTables()));
    if (!tables.empty()) {
      std::string what = "records of a volume";
      for (auto& t : tables) {
        if (t.B(0) != "jfs_setting") continue;
        ASSIGN_OR_RETURN(auto r, c_->QueryOne("SELECT value FROM jfs_setting WHERE name='format'"));
        if (r) what = "a volume";
      }
      return Status(EEXIST, "the " + engine + " database is not empty (it holds " + what + ")");
    }
    for (const auto& ddl : dialect.Schema()) RETURN_IF_ERROR(c_->Exec(ddl));
    return Status();
  }

  Status AddNode(const LoadedNode& n) override {
    RETURN_IF_ERROR(SqlEngine::InsertNode(*c_, n.ino, n.attr));
    for (const auto& [name, value] : n.xattrs) {
      RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_xattr (inode,name,value) VALUES (?,?,?)",
                               {n.ino, Value::Text(name), Value(value)}));
    }
    switch (n.attr.type) {
      case FileType::kFile:
        for (const auto& [indx, slices] : n.chunks) {
          if (slices.empty()) continue;
          std::string raw;
          raw.reserve(slices.size() * kSliceBytes);
          for (const auto& s : slices) raw += EncodeSlice(s);
          RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_chunk (inode,indx,slices) VALUES (?,?,?)",
                                   {n.ino, indx, Value(std::move(raw))}));
        }
        break;
      case FileType::kSymlink:
        RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_symlink (inode,target) VALUES (?,?)",
                                 {n.ino, Value(n.symlink)}));
        break;
      case FileType::kDirectory: {
        int64_t length = 0, space = 0, inodes = 0;
        for (const auto& e : n.entries) {
          RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_edge (parent,name,inode,type) VALUES (?,?,?,?)",
                                   {n.ino, Value(e.name), e.ino, static_cast<int>(e.type)}));
          uint64_t len = e.type == FileType::kFile ? e.length : 0;
          length += static_cast<int64_t>(len);
          space += Align4K(len);
          ++inodes;
        }
        RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_dir_stats (inode,data_length,used_space,used_inodes) "
                                 "VALUES (?,?,?,?)", {n.ino, length, space, inodes}));
        break;
      }
      default:
        break;
    }
    return Status();
  }

  Status Commit(const LoadedVolume& v) override {
    if (!open_) return Status(EINVAL, "load already ended");
    RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_setting (name,value) VALUES ('format',?)",
                             {Value::Text(v.setting_json)}));
    for (const auto& [name, value] : v.counters) {
      RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_counter (name,value) VALUES (?,?)",
                               {Value::Text(name), value}));
    }
    for (const auto& d : v.delfiles) {
      RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_delfile (inode,length,expire) VALUES (?,?,?)",
                               {d.ino, d.length, d.expire}));
    }
    for (const auto& r : v.slice_refs) {
      if (r.id == 0) continue;
      RETURN_IF_ERROR(c_->Exec("INSERT INTO jfs_chunk_ref (chunkid,size,refs) VALUES (?,?,?)",
                               {r.id, r.size, r.refs}));
    }
    for (const auto& [ino, nlink] : v.links) {
      RETURN_IF_ERROR(c_->Exec("UPDATE jfs_node SET nlink=?, parent=0 WHERE inode=?", {nlink, ino}));
    }
    RETURN_IF_ERROR(c_->Commit());
    open_ = false;
    return Status();
  }

 private:
  ConnPool::Lease c_;
  bool open_ = false;
};

}  // namespace

Result<std::unique_ptr<LoadWriter>> SqlEngine::BeginLoad() {
  ASSIGN_OR_RETURN(auto lease, pool_.Acquire(true));
  auto w = std::make_unique<SqlLoadWriter>(std::move(lease));
  RETURN_IF_ERROR(w->Start(dialect_, name_));
  return std::unique_ptr<LoadWriter>(std::move(w));
}

}  // namespace tierfs::meta::sql
