// OpenMeta: META-URL -> engine, through one scheme table (adding Redis or PostgreSQL is one row).
#include <sys/stat.h>

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "meta/base.h"
#include "meta/sql/engine.h"
#include "meta/sql/sqlite_conn.h"

namespace tierfs::meta {
namespace {

using Factory = Result<std::unique_ptr<Engine>> (*)(std::string_view rest, bool must_exist);

// "sqlite3:///abs/path.db" or "sqlite3://rel.db", query string ("?_journal=WAL") ignored.
Result<std::unique_ptr<Engine>> OpenSqlite(std::string_view rest, bool must_exist) {
  std::string path(rest.substr(0, rest.find('?')));
  if (path.empty()) return Err(EINVAL, "sqlite3 URL has no database path");
  struct stat st;
  if (must_exist && ::stat(path.c_str(), &st) != 0) {
    return Err(ENOENT, "sqlite3 database " + path + " does not exist");
  }
  auto e = std::make_unique<sql::SqlEngine>("sqlite3", std::make_unique<sql::SqliteConnector>(path),
                                            sql::SqliteDialect());
  RETURN_IF_ERROR(e->CheckReadable());
  return std::unique_ptr<Engine>(std::move(e));
}

// Deletes the database file (and its -wal, -shm, -journal companions).
Status RemoveSqlite(std::string_view rest) {
  std::string path(rest.substr(0, rest.find('?')));
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::string p = path + suffix;
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return Status(errno, p + ": " + std::strerror(errno));
  }
  return Status();
}

struct Scheme {
  std::string_view name;
  Factory open;
  Status (*remove)(std::string_view rest);  // nullptr: a server's store, never removed
};

constexpr std::array<Scheme, 1> kSchemes = {{{"sqlite3", &OpenSqlite, &RemoveSqlite}}};

}  // namespace

Result<std::unique_ptr<Engine>> OpenEngine(std::string_view url, bool must_exist) {
  auto sep = url.find("://");
  std::string known;
  for (const auto& s : kSchemes) known += (known.empty() ? "" : ", ") + std::string(s.name);
  if (sep == std::string_view::npos) {
    return Err(EINVAL, "malformed META-URL '" + std::string(url) + "' (want SCHEME://...; known: " + known + ")");
  }
  std::string_view scheme = url.substr(0, sep);
  for (const auto& s : kSchemes) {
    if (s.name == scheme) return s.open(url.substr(sep + 3), must_exist);
  }
  return Err(EINVAL, "unknown meta engine '" + std::string(scheme) + "' (known: " + known + ")");
}

Status RemoveCreatedStore(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return Status(EINVAL, "malformed META-URL");
  for (const auto& s : kSchemes) {
    if (s.name == url.substr(0, sep)) return s.remove ? s.remove(url.substr(sep + 3)) : Status();
  }
  return Status(EINVAL, "unknown meta engine");
}

Result<std::unique_ptr<Meta>> OpenMeta(std::string_view url, bool must_exist) {
  ASSIGN_OR_RETURN(auto engine, OpenEngine(url, must_exist));
  return std::unique_ptr<Meta>(std::make_unique<BaseMeta>(std::move(engine)));
}

}  // namespace tierfs::meta
