#include "meta/plock.h"

#include <algorithm>

namespace tierfs::meta {
namespace {

void Put(std::string& b, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get(std::string_view b, size_t o, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[o + i]);
  return v;
}

}  // namespace

std::string EncodePlocks(const std::vector<PosixLock>& locks) {
  std::string b;
  for (const auto& l : locks) {
    Put(b, l.type, 4);
    Put(b, l.pid, 4);
    Put(b, l.start, 8);
    Put(b, l.end, 8);
  }
  return b;
}

std::vector<PosixLock> DecodePlocks(std::string_view raw) {
  std::vector<PosixLock> out;
  for (size_t o = 0; o + 24 <= raw.size(); o += 24) {
    out.push_back({static_cast<uint32_t>(Get(raw, o, 4)), static_cast<uint32_t>(Get(raw, o + 4, 4)),
                   Get(raw, o + 8, 8), Get(raw, o + 16, 8)});
  }
  return out;
}

std::vector<PosixLock> UpdatePlocks(const std::vector<PosixLock>& owned, const PosixLock& lk) {
  std::vector<PosixLock> out;
  for (const auto& l : owned) {
    if (l.end < lk.start || l.start > lk.end) {
      out.push_back(l);
      continue;
    }
    if (l.start < lk.start) out.push_back({l.type, l.pid, l.start, lk.start - 1});
    if (l.end > lk.end) out.push_back({l.type, l.pid, lk.end + 1, l.end});
  }
  if (lk.type != kLockUnlock) out.push_back(lk);
  std::sort(out.begin(), out.end(), [](const PosixLock& a, const PosixLock& b) { return a.start < b.start; });
  std::vector<PosixLock> merged;
  for (const auto& l : out) {
    if (!merged.empty()) {
      auto& m = merged.back();
      if (m.type == l.type && m.pid == l.pid && m.end != UINT64_MAX && m.end + 1 == l.start) {
        m.end = l.end;
        continue;
      }
    }
    merged.push_back(l);
  }
  return merged;
}

bool PlocksConflict(const PosixLock& a, const PosixLock& b) {
  if (a.end < b.start || b.end < a.start) return false;
  return a.type == kLockWrite || b.type == kLockWrite;
}

}  // namespace tierfs::meta
