// OptionsFromUrl: JuiceFS's Redis URL forms (pkg/meta/redis.go) to Options.
#include <cstdlib>
#include <functional>
#include <map>

#include "net/redis/client.h"
#include "util/units.h"
#include "util/url.h"

namespace tierfs::net::redis {

namespace {

Result<int> ParseInt(const std::string& text, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < 0 || v > (1 << 30))
    return Err(EINVAL, "redis URL: bad " + what + " '" + text + "'");
  return int(v);
}

Result<bool> ParseBool(const std::string& text, const std::string& what) {
  if (text == "true" || text == "1" || text == "yes" || text.empty()) return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return Err(EINVAL, "redis URL: bad " + what + " '" + text + "' (true or false)");
}

Result<int> ParseMs(const std::string& text, const std::string& what) {
  auto d = ParseDuration(text);
  if (!d) return Err(EINVAL, "redis URL: bad " + what + ": " + d.error().message());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
  if (ms > (1 << 30)) return Err(EINVAL, "redis URL: " + what + " too long");
  return int(ms);
}

// "h1,h2:26379" -> {"h1:26379", "h2:26379"}: a port given once applies to the hosts without one.
std::vector<std::string> HostList(std::string_view list, int default_port) {
  std::vector<std::string> hosts;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    if (comma > start) hosts.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  std::string port = std::to_string(default_port);
  for (const std::string& h : hosts)
    if (size_t c = h.rfind(':'); c != std::string::npos && h.find(']', c) == std::string::npos)
      port = h.substr(c + 1);
  for (std::string& h : hosts)
    if (h.rfind(':') == std::string::npos || h.back() == ']') h += ":" + port;
  return hosts;
}

using Setter = std::function<Status(Options&, const std::string&)>;

template <class F>
Setter Ms(F field, const char* name) {
  return [=](Options& o, const std::string& v) -> Status {
    ASSIGN_OR_RETURN(o.*field, ParseMs(v, name));
    return Status();
  };
}
template <class F>
Setter Text(F field) {
  return [=](Options& o, const std::string& v) -> Status {
    o.tls.*field = v;
    return Status();
  };
}

const std::map<std::string, Setter>& QuerySetters() {
  static const std::map<std::string, Setter> setters = {
      {"read-timeout", Ms(&Options::read_timeout_ms, "read-timeout")},
      {"write-timeout", Ms(&Options::write_timeout_ms, "write-timeout")},
      {"dial-timeout", Ms(&Options::dial_timeout_ms, "dial-timeout")},
      {"min-retry-backoff", Ms(&Options::min_retry_backoff_ms, "min-retry-backoff")},
      {"max-retry-backoff", Ms(&Options::max_retry_backoff_ms, "max-retry-backoff")},
      {"client-cache-expire", Ms(&Options::cache_ttl_ms, "client-cache-expire")},
      {"max-retries",
       [](Options& o, const std::string& v) -> Status {
         ASSIGN_OR_RETURN(o.max_retries, ParseInt(v, "max-retries"));
         return Status();
       }},
      {"tls-cert-file", Text(&TlsOptions::cert_file)},
      {"tls-key-file", Text(&TlsOptions::key_file)},
      {"tls-ca-cert-file", Text(&TlsOptions::ca_file)},
      {"tls-server-name", Text(&TlsOptions::server_name)},
      {"insecure-skip-verify",
       [](Options& o, const std::string& v) -> Status {
         ASSIGN_OR_RETURN(o.tls.insecure_skip_verify, ParseBool(v, "insecure-skip-verify"));
         return Status();
       }},
      {"client-cache",
       [](Options& o, const std::string& v) -> Status {
         ASSIGN_OR_RETURN(o.client_cache, ParseBool(v, "client-cache"));
         return Status();
       }},
      {"client-cache-size",
       [](Options& o, const std::string& v) -> Status {
         auto b = ParseBytes(v, kMiB);
         if (!b) return Status(EINVAL, "redis URL: bad client-cache-size: " + b.error().message());
         o.cache_bytes = size_t(*b);
         return Status();
       }},
  };
  return setters;
}

// Host part: "host", "master,s1,s2:26379" (Sentinel) or "h1:p1,h2:p2" (Cluster).
Status SetWhere(const Url& u, Options* o) {
  size_t comma = u.host.find(',');
  if (comma == std::string::npos) {
    o->host = u.host.empty() ? "127.0.0.1" : u.host;
    o->port = u.port == 0 ? 6379 : u.port;
    return Status();
  }
  std::string first = u.host.substr(0, comma);
  if (first.find(':') != std::string::npos) {  // every entry is an address: Cluster seeds
    o->cluster = true;
    o->cluster_nodes = HostList(u.host, 6379);
    return Status();
  }
  o->master_name = first;
  o->sentinels = HostList(std::string_view(u.host).substr(comma + 1), 26379);
  if (o->sentinels.empty()) return Status(EINVAL, "redis URL: Sentinel master without sentinels");
  return Status();
}

Status SetDb(const Url& u, Options* o) {
  std::string db = u.scheme == "unix" ? "" : u.path;
  if (!db.empty() && db[0] == '/') db.erase(0, 1);
  if (auto q = u.query.find("db"); q != u.query.end()) db = q->second;
  if (db.empty()) return Status();
  ASSIGN_OR_RETURN(o->db, ParseInt(db, "database number"));
  return Status();
}

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

}  // namespace

Result<Options> OptionsFromUrl(std::string_view text) {
  ASSIGN_OR_RETURN(Url u, ParseUrl(text));
  Options o;
  const std::string& s = u.scheme;
  if (s != "redis" && s != "rediss" && s != "unix" && s != "rueidis" && s != "ruediss")
    return Err(EINVAL, "not a redis URL: " + u.Redacted());
  o.tls.enabled = s == "rediss" || s == "ruediss";
  if (s == "unix") {
    if (u.path.empty()) return Err(EINVAL, "redis URL without a socket path: " + u.Redacted());
    o.unix_path = u.path;
  } else if (Status st = SetWhere(u, &o); !st.ok()) {
    return Err(st);
  }
  if (Status st = SetDb(u, &o); !st.ok()) return Err(st.code(), st.message() + ": " + u.Redacted());
  o.user = u.user;
  if (u.has_password) {
    o.password = u.password;
  } else if (const char* pw = Env("REDIS_PASSWORD")) {
    o.password = pw;
  } else if (const char* mpw = Env("META_PASSWORD")) {
    o.password = mpw;
  }
  if (const char* spw = Env("SENTINEL_PASSWORD")) o.sentinel_password = spw;
  for (const auto& [key, value] : u.query) {
    auto it = QuerySetters().find(key);
    if (it == QuerySetters().end()) continue;  // the caller's (inode_batch, ...)
    if (Status st = it->second(o, value); !st.ok())
      return Err(st.code(), st.message() + " in " + u.Redacted());
  }
  return o;
}

}  // namespace tierfs::net::redis
