// SQLite implementation of Conn: WAL journal, busy_timeout, prepared statements cached per
// connection (keyed by SQL text). SQLITE_BUSY/SQLITE_LOCKED map to EBUSY.
#pragma once

#include <string>

#include "meta/sql/conn.h"

namespace tierfs::meta::sql {

class SqliteConnector : public Connector {
 public:
  explicit SqliteConnector(std::string path) : path_(std::move(path)) {}
  Result<std::unique_ptr<Conn>> Open() override;

 private:
  std::string path_;
};

}  // namespace tierfs::meta::sql
