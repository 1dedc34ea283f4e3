// OpenMeta: META-URL -> engine, through one scheme table (adding Redis or PostgreSQL is one row).
#include <sys/stat.h>

#include <array>

#include "meta/base.h"
#include "meta/redis/engine.h"
#include "net/redis/client.h"
#include "meta/sql/engine.h"
#include "meta/sql/sqlite_conn.h"

namespace tierfs::meta {
namespace {

// `url` is the whole META-URL, `rest` what follows "scheme://".
using Factory = Result<std::unique_ptr<Engine>> (*)(std::string_view url, std::string_view rest,
                                                    bool must_exist);

// "sqlite3:///abs/path.db" or "sqlite3://rel.db", query string ("?_journal=WAL") ignored.
Result<std::unique_ptr<Engine>> OpenSqlite(std::string_view, std::string_view rest, bool must_exist) {
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

// redis://, rediss://, unix://, rueidis://, ruediss:// (net/redis OptionsFromUrl). In Redis
// Cluster every key gets the hash-tag prefix "{DB}" (JuiceFS).
Result<std::unique_ptr<Engine>> OpenRedis(std::string_view url, std::string_view, bool) {
  ASSIGN_OR_RETURN(auto opt, net::redis::OptionsFromUrl(url));
  std::string prefix = opt.cluster ? "{" + std::to_string(opt.db) + "}" : "";
  ASSIGN_OR_RETURN(auto client, net::redis::Client::Connect(opt));
  auto e = std::make_unique<redis::RedisEngine>(std::move(client), prefix);
  RETURN_IF_ERROR(e->CheckServer());
  return std::unique_ptr<Engine>(std::move(e));
}

struct Scheme {
  std::string_view name;
  Factory open;
};

constexpr std::array<Scheme, 6> kSchemes = {{{"sqlite3", &OpenSqlite},
                                              {"redis", &OpenRedis},
                                              {"rediss", &OpenRedis},
                                              {"unix", &OpenRedis},
                                              {"rueidis", &OpenRedis},
                                              {"ruediss", &OpenRedis}}};

}  // namespace

Result<std::unique_ptr<Meta>> OpenMeta(std::string_view url, bool must_exist) {
  auto sep = url.find("://");
  std::string known;
  for (const auto& s : kSchemes) known += (known.empty() ? "" : ", ") + std::string(s.name);
  if (sep == std::string_view::npos) {
    return Err(EINVAL, "malformed META-URL '" + std::string(url) + "' (want SCHEME://...; known: " + known + ")");
  }
  std::string_view scheme = url.substr(0, sep);
  for (const auto& s : kSchemes) {
    if (s.name != scheme) continue;
    ASSIGN_OR_RETURN(auto engine, s.open(url, url.substr(sep + 3), must_exist));
    return std::unique_ptr<Meta>(std::make_unique<BaseMeta>(std::move(engine)));
  }
  return Err(EINVAL, "unknown meta engine '" + std::string(scheme) + "' (known: " + known + ")");
}

}  // namespace tierfs::meta
