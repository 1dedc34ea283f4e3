// Dialect: the SQL text that differs between SQL databases (DDL types, blob append, insert-or-
// ignore). The engine builds every statement from portable SQL plus these pieces, so adding
// PostgreSQL is one new Dialect + Conn, and the engine never branches on a database name.
//
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tierfs::meta::sql {

class Dialect {
 public:
  virtual ~Dialect() = default;
  // CREATE TABLE / INDEX statements of the JuiceFS schema (docs/format.md), each idempotent
  // (IF NOT EXISTS), in creation order.
  virtual std::vector<std::string> Schema() const = 0;
  // Query answering the names of the tables whose name starts with "jfs_", one per row.
  virtual std::string ListTables() const = 0;
  // Expression appending a bound blob parameter to `column` ("slices || ?").
  virtual std::string AppendBlob(std::string_view column) const = 0;
  // "INSERT ... VALUES (?, ...)" that does nothing when a unique key already exists.
  virtual std::string InsertIgnore(std::string_view table, std::string_view columns,
                                   int nparams) const = 0;
};

// The dialect of SQLite 3 (the DDL JuiceFS's xorm creates there, verbatim in shape).
const Dialect& SqliteDialect();

}  // namespace tierfs::meta::sql
