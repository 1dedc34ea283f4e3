// OpenMeta: META-URL -> engine, through one scheme table (adding Redis or PostgreSQL is one row).
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "meta/base.h"
#include "meta/redis/engine.h"
#include "net/redis/client.h"
#include "meta/sql/engine.h"
#include "meta/sql/sqlite_conn.h"
#include "util/url.h"

namespace tierfs::meta {
namespace {

// `url` is the whole META-URL, `rest` what follows "scheme://".
using Factory = Result<std::unique_ptr<Engine>> (*)(std::string_view url, std::string_view rest,
                                                    bool must_exist);

// "sqlite3:///abs/path.db" or "sqlite3://rel.db"; the query ("?_journal=WAL") is ignored here
// (OpenMeta reads the id pool keys of it).
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
  ASSIGN_OR_RETURN(auto client, net::redis::Client::Connect(opt));
  std::string prefix = client->cluster() ? "{" + std::to_string(opt.db) + "}" : "";
  auto e = std::make_unique<redis::RedisEngine>(std::move(client), prefix);
  RETURN_IF_ERROR(e->CheckServer());
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

constexpr std::array<Scheme, 6> kSchemes = {{{"sqlite3", &OpenSqlite, &RemoveSqlite},
                                              {"redis", &OpenRedis, nullptr},
                                              {"rediss", &OpenRedis, nullptr},
                                              {"unix", &OpenRedis, nullptr},
                                              {"rueidis", &OpenRedis, nullptr},
                                              {"ruediss", &OpenRedis, nullptr}}};

// Parses a decoded query value as an integer in [lo, hi]; EINVAL names the option.
Result<int64_t> QueryInt(const std::string& key, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Err(EINVAL, "META-URL option " + key + "=" + text + " is not a number");
  }
  if (v < lo || v > hi) {
    return Err(EINVAL, "META-URL option " + key + "=" + text + " is out of range " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  }
  return v;
}

// The id pool options of the META-URL query (docs/commands.md "META-URL options"). Keys it
// does not know are left to the engine (sqlite3 ignores them, as JuiceFS's "?_journal=WAL").
Result<IdPoolOptions> IdOptionsFromQuery(std::string_view query) {
  IdPoolOptions o;
  bool one_at_a_time = false;
  while (!query.empty()) {
    std::string_view item = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), item.size() + 1));
    std::string_view raw_key = item.substr(0, item.find('='));
    std::string_view raw_value = raw_key.size() < item.size() ? item.substr(raw_key.size() + 1) : "";
    ASSIGN_OR_RETURN(std::string key, PercentDecode(raw_key, true));
    if (key == "inode_batch" || key == "chunk_batch" || key == "inode_low_watermark" ||
        key == "chunk_low_watermark" || key == "metaprime") {
      ASSIGN_OR_RETURN(std::string value, PercentDecode(raw_value, true));
      if (key == "inode_batch") {
        ASSIGN_OR_RETURN(o.inode_batch, QueryInt(key, value, 1, kMaxIdBatch));
      } else if (key == "chunk_batch") {
        ASSIGN_OR_RETURN(o.chunk_batch, QueryInt(key, value, 1, kMaxIdBatch));
      } else if (key == "inode_low_watermark") {
        ASSIGN_OR_RETURN(o.inode_low_watermark, QueryInt(key, value, 0, 100));
      } else if (key == "chunk_low_watermark") {
        ASSIGN_OR_RETURN(o.chunk_low_watermark, QueryInt(key, value, 0, 100));
      } else {
        ASSIGN_OR_RETURN(int64_t prime, QueryInt(key, value, 0, 1));
        one_at_a_time = prime == 0;
      }
    }
  }
  if (one_at_a_time) {
    // metaprime=0: one counter increment per id, nothing prefetched.
    o.inode_batch = o.chunk_batch = 1;
    o.inode_low_watermark = o.chunk_low_watermark = 0;
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<Engine>> OpenEngine(std::string_view url, bool must_exist) {
  auto sep = url.find("://");
  std::string known;
  for (const auto& s : kSchemes) known += (known.empty() ? "" : ", ") + std::string(s.name);
  if (sep == std::string_view::npos) {
    return Err(EINVAL, "malformed META-URL '" + RedactUrl(url) + "' (want SCHEME://...; known: " + known + ")");
  }
  std::string_view scheme = url.substr(0, sep);
  for (const auto& s : kSchemes) {
    if (s.name == scheme) return s.open(url, url.substr(sep + 3), must_exist);
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
  auto sep = url.find("://");
  std::string_view rest = sep == std::string_view::npos ? "" : url.substr(sep + 3);
  auto q = rest.find('?');
  ASSIGN_OR_RETURN(IdPoolOptions ids,
                   IdOptionsFromQuery(q == std::string_view::npos ? "" : rest.substr(q + 1)));
  ASSIGN_OR_RETURN(auto engine, OpenEngine(url, must_exist));
  return std::unique_ptr<Meta>(std::make_unique<BaseMeta>(std::move(engine), ids));
}

}  // namespace tierfs::meta
