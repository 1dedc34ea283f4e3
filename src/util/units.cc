#include "util/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tierfs {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses a non-negative decimal prefix of `s` ("1.5" of "1.5h"); advances `s` past it.
bool TakeNumber(std::string_view& s, double& v) {
  size_t n = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
  if (n == 0) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + n, v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + n) return false;
  s.remove_prefix(n);
  return true;
}

// `text` without the spaces around it, when it may hold a non-negative quantity; else EINVAL
// saying "invalid <what> '<text>': empty" (or "negative").
Result<std::string_view> Unsigned(std::string_view text, const char* what) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty() || s.front() == '-') {
    return Err(EINVAL, std::string("invalid ") + what + " '" + std::string(text) +
                           "': " + (s.empty() ? "empty" : "negative"));
  }
  return s;
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text, uint64_t default_unit) {
  auto bad = [&](const std::string& why) {
    return Err(EINVAL, "invalid size '" + std::string(text) + "': " + why);
  };
  ASSIGN_OR_RETURN(std::string_view s, Unsigned(text, "size"));
  double v = 0;
  if (!TakeNumber(s, v)) return bad("expected a number, e.g. 4M or 300");
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  std::string unit = Lower(s);
  uint64_t mult = default_unit;
  if (!unit.empty()) {
    static constexpr std::string_view kPrefixes = "kmgtpe";
    if (unit == "b") {
      mult = 1;
    } else if (size_t i = kPrefixes.find(unit[0]);
               i != std::string_view::npos &&
               (unit.size() == 1 || unit.substr(1) == "b" || unit.substr(1) == "ib")) {
      mult = uint64_t{1} << (10 * (i + 1));
    } else {
      return bad("unknown unit '" + std::string(s) + "' (use B, K, M, G, T, P, E)");
    }
  }
  long double bytes = static_cast<long double>(v) * mult;
  if (bytes >= 18446744073709551616.0L) {
    return Err(ERANGE, "size '" + std::string(text) + "' does not fit in 64 bits");
  }
  return static_cast<uint64_t>(bytes);
}

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text,
                                               std::chrono::nanoseconds default_unit) {
  auto bad = [&](const std::string& why) {
    return Err(EINVAL, "invalid duration '" + std::string(text) + "': " + why);
  };
  ASSIGN_OR_RETURN(std::string_view s, Unsigned(text, "duration"));
  long double total = 0;  // nanoseconds
  bool first = true;
  while (!s.empty()) {
    double v = 0;
    if (!TakeNumber(s, v)) return bad("expected a number, e.g. 1s, 100ms, 1h30m or 2.5");
    size_t n = 0;
    while (n < s.size() && !std::isdigit(static_cast<unsigned char>(s[n])) && s[n] != '.') ++n;
    std::string unit = Lower(s.substr(0, n));
    s.remove_prefix(n);
    long double ns;
    if (unit.empty()) {
      if (!first || !s.empty()) return bad("a number inside a duration needs a unit");
      ns = static_cast<long double>(default_unit.count());
    } else if (unit == "ns") {
      ns = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s") {  // "µs" in UTF-8
      ns = 1e3;
    } else if (unit == "ms") {
      ns = 1e6;
    } else if (unit == "s") {
      ns = 1e9;
    } else if (unit == "m") {
      ns = 60e9;
    } else if (unit == "h") {
      ns = 3600e9;
    } else if (unit == "d") {
      ns = 86400e9;
    } else {
      return bad("unknown unit '" + unit + "' (use ns, us, ms, s, m, h, d)");
    }
    total += v * ns;
    first = false;
  }
  if (total >= 9223372036854775807.0L) {
    return Err(ERANGE, "duration '" + std::string(text) + "' is too long");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::roundl(total)));
}

Result<int64_t> ParseMbps(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Err(EINVAL, "invalid bandwidth '" + std::string(text) + "': " + why);
  };
  ASSIGN_OR_RETURN(std::string_view s, Unsigned(text, "bandwidth"));
  double v = 0;
  if (!TakeNumber(s, v)) return bad("expected a number of Mbps, e.g. 100 or 1G");
  std::string unit = Lower(s);
  long double mult;
  if (unit.empty() || unit == "m") {
    mult = 1;
  } else if (unit == "g") {
    mult = 1e3;
  } else if (unit == "t") {
    mult = 1e6;
  } else if (unit == "p") {
    mult = 1e9;
  } else {
    return bad("unknown unit '" + std::string(s) + "' (use M, G, T, P: Mbps, Gbps, ...)");
  }
  long double mbps = static_cast<long double>(v) * mult;
  // Bytes per second (x 125000) must fit in int64 too.
  if (mbps >= 9223372036854775807.0L / 125000) {
    return Err(ERANGE, "bandwidth '" + std::string(text) + "' is too large");
  }
  return static_cast<int64_t>(mbps);
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB",
                                                        "TiB", "PiB", "EiB"};
  if (bytes < kKiB) return std::to_string(bytes) + " B";
  size_t i = 0;
  while (i + 1 < kUnits.size() && bytes >= (uint64_t{1} << (10 * (i + 2)))) ++i;
  uint64_t unit = uint64_t{1} << (10 * (i + 1));
  if (bytes % unit == 0) return std::to_string(bytes / unit) + ' ' + kUnits[i];
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", static_cast<double>(bytes) / unit, kUnits[i]);
  return buf;
}

}  // namespace tierfs
