// A minimal SQL connection seam for the SQL engine: parameterised statements ("?" placeholders),
// rows of int/blob values, transactions. SQLite implements it (sqlite_conn.cc); PostgreSQL
// adds one more implementation. SQL text differences live in Dialect (dialect.h), not here.
//
// Errors: EBUSY when the database is locked by another writer (the transaction runner retries
// it; no metadata operation returns EBUSY otherwise); EIO with the driver's message for
// everything else.
// Thread-safety: a Conn is used by one thread at a time (ConnPool hands them out).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace tierfs::meta::sql {

using ::tierfs::internal::ToStatus;

struct Value {
  enum Kind : uint8_t { kNull, kInt, kBlob, kText } kind = kNull;
  int64_t i = 0;
  std::string b;
  Value() = default;
  Value(std::nullptr_t) {}                                     // NOLINT
  Value(int64_t v) : kind(kInt), i(v) {}                       // NOLINT
  Value(uint64_t v) : kind(kInt), i(static_cast<int64_t>(v)) {}  // NOLINT: inodes > 2^63 wrap as Go does
  Value(int v) : kind(kInt), i(v) {}                           // NOLINT
  Value(uint32_t v) : kind(kInt), i(v) {}                      // NOLINT
  Value(std::string v) : kind(kBlob), b(std::move(v)) {}       // NOLINT
  Value(std::string_view v) : kind(kBlob), b(v) {}             // NOLINT
  Value(const char* v) : kind(kText), b(v) {}                  // NOLINT: literals are TEXT
  // For TEXT columns (jfs_setting, jfs_counter names, jfs_xattr names): a BLOB never compares
  // equal to TEXT in SQLite, and JuiceFS stores these as TEXT.
  static Value Text(std::string_view v) {
    Value x(v);
    x.kind = kText;
    return x;
  }
};

struct Row {
  std::vector<Value> cols;
  int64_t I(size_t c) const { return cols[c].i; }
  uint64_t U(size_t c) const { return static_cast<uint64_t>(cols[c].i); }
  const std::string& B(size_t c) const { return cols[c].b; }
  bool IsNull(size_t c) const { return cols[c].kind == Value::kNull; }
};

using Args = std::vector<Value>;

class Conn {
 public:
  virtual ~Conn() = default;
  // Runs a statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Args& args = {}) = 0;
  virtual Result<std::vector<Row>> Query(std::string_view sql, const Args& args = {}) = 0;
  // Begins a transaction; `write` takes the write lock up front (BEGIN IMMEDIATE in SQLite).
  virtual Status Begin(bool write) = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // Convenience: the first row, or std::nullopt-like empty vector check by the caller.
  Result<std::optional<Row>> QueryOne(std::string_view sql, const Args& args = {});
};

// Opens connections to one database.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual Result<std::unique_ptr<Conn>> Open() = 0;
};

// One writer connection (writes are serialised by the database anyway; holding it under a
// mutex avoids BUSY storms inside one process) and a free list of reader connections, opened on
// demand. Thread-safety: all methods.
class ConnPool {
 public:
  explicit ConnPool(std::unique_ptr<Connector> connector) : connector_(std::move(connector)) {}
  // A lease returns its connection to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnPool* pool, std::unique_ptr<Conn> c, bool write) : pool_(pool), c_(std::move(c)), write_(write) {}
    Lease(Lease&&) = default;
    ~Lease();
    Conn* operator->() { return c_.get(); }
    Conn& operator*() { return *c_; }

   private:
    ConnPool* pool_;
    std::unique_ptr<Conn> c_;
    bool write_;
  };
  Result<Lease> Acquire(bool write);

 private:
  friend class Lease;
  std::unique_ptr<Connector> connector_;
  std::mutex write_mu_;  // held by the writer lease
  std::unique_ptr<Conn> writer_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> readers_;
};

}  // namespace tierfs::meta::sql
