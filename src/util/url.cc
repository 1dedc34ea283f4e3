#include "util/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tierfs {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Where the password sits in `text` as [begin, end), or npos when there is none.
std::pair<size_t, size_t> PasswordRange(std::string_view text) {
  constexpr auto npos = std::string_view::npos;
  size_t sep = text.find("://");
  if (sep == npos) return {npos, npos};
  size_t auth = sep + 3;
  size_t auth_end = text.find_first_of("/?", auth);
  if (auth_end == npos) auth_end = text.size();
  std::string_view authority = text.substr(auth, auth_end - auth);
  size_t at = authority.rfind('@');
  if (at == npos) return {npos, npos};
  size_t colon = authority.find(':');
  if (colon == npos || colon > at) return {npos, npos};
  return {auth + colon + 1, auth + at};
}

Status Invalid(std::string_view text, const std::string& why) {
  return Status(EINVAL, "invalid URL '" + RedactUrl(text) + "': " + why);
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Err(EINVAL, "invalid percent-escape '" + std::string(s.substr(i, 3)) + "'");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string RedactUrl(std::string_view text) {
  auto [b, e] = PasswordRange(text);
  if (b == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, b)) + "****" + std::string(text.substr(e));
}

std::string Url::Redacted() const { return RedactUrl(raw); }

Result<Url> ParseUrl(std::string_view text) {
  Url u;
  u.raw = std::string(text);
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return Err(Invalid(text, "expected scheme://"));
  std::string_view scheme = text.substr(0, sep);
  bool scheme_ok = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                   std::all_of(scheme.begin(), scheme.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '+' ||
                            c == '-' || c == '.';
                   });
  if (!scheme_ok) return Err(Invalid(text, "bad scheme '" + std::string(scheme) + "'"));
  for (char c : scheme) u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  std::string_view rest = text.substr(sep + 3);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = info.find(':');
    auto user = PercentDecode(info.substr(0, colon));
    if (!user) return Err(Invalid(text, "user: " + user.error().message()));
    u.user = std::move(*user);
    if (colon != std::string_view::npos) {
      u.has_password = true;
      auto pw = PercentDecode(info.substr(colon + 1));
      if (!pw) return Err(Invalid(text, "password: " + pw.error().message()));
      u.password = std::move(*pw);
    }
  }

  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return Err(Invalid(text, "unterminated '[' in host"));
    std::string_view after = host.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Err(Invalid(text, "unexpected text after ']'"));
      port = after.substr(1);
      if (port.empty()) return Err(Invalid(text, "empty port"));
    }
    host = host.substr(1, close - 1);
  } else if (host.find(',') == std::string_view::npos) {
    if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return Err(Invalid(text, "empty port"));
    }
  }
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || end != port.data() + port.size() || u.port < 0 || u.port > 65535) {
      return Err(Invalid(text, "port '" + std::string(port) + "' is not 0..65535"));
    }
  }
  u.host = std::string(host);

  auto p = PercentDecode(path);
  if (!p) return Err(Invalid(text, "path: " + p.error().message()));
  u.path = std::move(*p);
  if (u.scheme == "sqlite3") {
    // sqlite3://my.db is the relative file my.db; sqlite3:///abs is /abs.
    if (u.port != 0 || u.has_password || !u.user.empty()) {
      return Err(Invalid(text, "sqlite3 URLs take a file path, not host:port or credentials"));
    }
    u.path = u.host + u.path;
    u.host.clear();
    if (u.path.empty()) return Err(Invalid(text, "sqlite3 URL without a file path"));
  }

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    auto k = PercentDecode(kv.substr(0, eq), true);
    auto v = PercentDecode(eq == std::string_view::npos ? "" : kv.substr(eq + 1), true);
    if (!k || !v) return Err(Invalid(text, "query: " + (k ? v : k).error().message()));
    u.query[std::move(*k)] = std::move(*v);
  }
  return u;
}

}  // namespace tierfs
