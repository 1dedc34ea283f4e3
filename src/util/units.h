// Byte sizes and durations as flags spell them, JuiceFS-compatible.
//
// Sizes: a number (decimal allowed) and an optional unit, case-insensitive:
//   B; K, KB, KiB; M, MB, MiB; G, GB, GiB; T, TB, TiB; P, PB, PiB; E, EB, EiB.
// As in JuiceFS, every unit is binary: "4M" = "4MB" = "4MiB" = 4 << 20. A bare number is in
// the caller's default unit: ParseBytes("300", kMiB) is 300 MiB (--buffer-size), while
// ParseBytes("300", 1) is 300 bytes. Fractions round down to a whole byte.
//
// Durations: a number and a unit ns, us (or µs), ms, s, m, h, d, possibly composed ("1h30m",
// "1.5h"), or a bare number in the caller's default unit (seconds for every JuiceFS flag):
// ParseDuration("2.5") is 2.5 s.
//
// Bandwidths (--upload-limit, --download-limit): Mbps = 10^6 bits/s, as JuiceFS's
// utils.ParseMbpsStr: a number (decimal allowed) and an optional suffix, case-insensitive, that
// is decimal: M (or none) x1, G x10^3, T x10^6, P x10^9; the result is truncated to whole Mbps.
// MbpsToBytesPerSec converts as JuiceFS does (x 10^6 / 8).
//
// Errors: EINVAL for malformed text (the message quotes it), ERANGE when the value does not
// fit (bytes: uint64; durations: int64 nanoseconds, about 292 years). Negative values are
// EINVAL. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs {

inline constexpr uint64_t kKiB = uint64_t{1} << 10;
inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;
inline constexpr uint64_t kTiB = uint64_t{1} << 40;

// REQUIRES: default_unit >= 1.
Result<uint64_t> ParseBytes(std::string_view text, uint64_t default_unit = 1);

Result<std::chrono::nanoseconds> ParseDuration(
    std::string_view text, std::chrono::nanoseconds default_unit = std::chrono::seconds(1));

Result<int64_t> ParseMbps(std::string_view text);
inline constexpr int64_t MbpsToBytesPerSec(int64_t mbps) { return mbps * 1'000'000 / 8; }

// "512 B", "4 MiB", "1.5 GiB": the largest binary unit not above the value, one decimal
// unless the value is a whole number of that unit.
std::string FormatBytes(uint64_t bytes);

}  // namespace tierfs
