#include "meta/sql/sqlite_conn.h"

#include <sqlite3.h>

#include <map>

namespace tierfs::meta::sql {
namespace {

// How long one statement waits for another process's write lock before reporting EBUSY; the
// transaction runner then retries with backoff (and counts the restart in
// tierfs_transaction_restart). Short, so that contention shows up in that metric rather than
// hiding inside SQLite; the runner's 50 retries still wait several seconds in total.
constexpr int kBusyTimeoutMs = 100;

Status SqlErr(sqlite3* db, int rc, std::string_view what) {
  int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? EBUSY : EIO;
  return Status(code, "sqlite3: " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class SqliteConn : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    for (auto& [_, s] : stmts_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  Result<int64_t> Exec(std::string_view sql, const Args& args) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(sql, args));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Err(SqlErr(db_, rc, sql));
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<std::vector<Row>> Query(std::string_view sql, const Args& args) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(sql, args));
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      Row r;
      int n = sqlite3_column_count(s);
      r.cols.resize(n);
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(s, i)) {
          case SQLITE_NULL: break;
          case SQLITE_INTEGER:
          case SQLITE_FLOAT:
            r.cols[i] = Value(static_cast<int64_t>(sqlite3_column_int64(s, i)));
            break;
          default: {
            const void* p = sqlite3_column_blob(s, i);
            int len = sqlite3_column_bytes(s, i);
            r.cols[i] = Value(std::string(static_cast<const char*>(p), p ? len : 0));
            r.cols[i].i = 0;
          }
        }
      }
      rows.push_back(std::move(r));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Err(SqlErr(db_, rc, sql));
    return rows;
  }

  Status Begin(bool write) override {
    return ToStatus(Exec(write ? "BEGIN IMMEDIATE" : "BEGIN", {}));
  }
  Status Commit() override { return ToStatus(Exec("COMMIT", {})); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK", {});
  }

 private:
  static Status ToStatus(const Result<int64_t>& r) { return r ? Status() : r.error(); }

  Result<sqlite3_stmt*> Prepare(std::string_view sql, const Args& args) {
    std::string key(sql);
    auto it = stmts_.find(key);
    sqlite3_stmt* s;
    if (it != stmts_.end()) {
      s = it->second;
      sqlite3_clear_bindings(s);
    } else {
      int rc = sqlite3_prepare_v2(db_, key.c_str(), static_cast<int>(key.size()), &s, nullptr);
      if (rc != SQLITE_OK) return Err(SqlErr(db_, rc, "prepare " + key));
      stmts_.emplace(std::move(key), s);
    }
    for (size_t i = 0; i < args.size(); ++i) {
      const Value& v = args[i];
      int idx = static_cast<int>(i + 1), rc;
      switch (v.kind) {
        case Value::kNull: rc = sqlite3_bind_null(s, idx); break;
        case Value::kInt: rc = sqlite3_bind_int64(s, idx, v.i); break;
        case Value::kText:
          rc = sqlite3_bind_text(s, idx, v.b.data(), static_cast<int>(v.b.size()), SQLITE_TRANSIENT);
          break;
        default:
          rc = sqlite3_bind_blob(s, idx, v.b.data(), static_cast<int>(v.b.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return Err(SqlErr(db_, rc, "bind"));
    }
    return s;
  }

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> stmts_;
};

}  // namespace

Result<std::unique_ptr<Conn>> SqliteConnector::Open() {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st(EIO, "sqlite3: open " + path_ + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return Err(st);
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto conn = std::make_unique<SqliteConn>(db);
  // Reading the schema fails with SQLITE_NOTADB on a file that is not a database.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=OFF"}) {
    auto r = conn->Query(pragma, {});
    if (!r) {
      return Err(EIO, path_ + " is not a usable SQLite database (" + r.error().message() + ")");
    }
  }
  return std::unique_ptr<Conn>(std::move(conn));
}

}  // namespace tierfs::meta::sql
