// URL parsing for meta and storage addresses:
//   scheme://[user[:password]@]host[:port][/path][?query]
//   redis://:secret@10.0.0.1:6379/1   postgres://u:p@db:5432/jfs?sslmode=disable
//   sqlite3:///abs/path.db            sqlite3://relative.db   (the "host" is part of the path)
//   redis://:pw@mymaster,h1,h2:26379/2 (Sentinel/Cluster list: host keeps the raw list, port 0)
//   [::1]:6379                          IPv6 hosts in brackets; host() holds them unbracketed.
// user, password, path and query keys/values are percent-decoded ('+' is a space in the query
// only). Characters '/', '?' and '@' inside a password must be percent-encoded; the last '@'
// before the path ends the user info.
//
// Errors: EINVAL with a message naming the URL (password redacted) and the problem.
// Thread-safety: values.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs {

struct Url {
  std::string scheme;    // lower case
  std::string user;      // "" when absent
  std::string password;  // "" when absent; see has_password
  bool has_password = false;
  std::string host;  // "" when absent (sqlite3, file paths); the raw list for "h1,h2:p"
  int port = 0;      // 0 when absent
  std::string path;  // starts with '/' when present, except sqlite3 relative paths
  std::map<std::string, std::string> query;  // a repeated key keeps its last value
  std::string raw;                           // the text parsed

  // `raw` with the password replaced by "****": safe for logs and `.config`.
  std::string Redacted() const;
};

Result<Url> ParseUrl(std::string_view text);

// Best effort redaction of any text that may be a URL (also when ParseUrl rejects it):
// "redis://u:pw@h" -> "redis://u:****@h". Text without a password is returned unchanged.
std::string RedactUrl(std::string_view text);

// "%2F" -> "/"; with plus_is_space, '+' -> ' '. EINVAL on a truncated or non-hex escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space = false);

}  // namespace tierfs
