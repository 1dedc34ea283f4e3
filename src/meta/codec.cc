// Slice record codec (FORMAT.md §1.3): 24 bytes big-endian {pos u32, id u64, size u32,
// off u32, len u32}.
#include "meta/engine.h"

namespace tierfs::meta {
namespace {

void PutU32(std::string& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetBE(std::string_view b, size_t off, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[off + i]);
  return v;
}

}  // namespace

std::string EncodeSlice(const Slice& s) {
  std::string b;
  b.reserve(24);
  PutU32(b, s.pos);
  PutU64(b, s.id);
  PutU32(b, s.size);
  PutU32(b, s.off);
  PutU32(b, s.len);
  return b;
}

std::vector<Slice> DecodeSlices(std::string_view raw) {
  std::vector<Slice> out;
  for (size_t o = 0; o + 24 <= raw.size(); o += 24) {
    Slice s;
    s.pos = static_cast<uint32_t>(GetBE(raw, o, 4));
    s.id = GetBE(raw, o + 4, 8);
    s.size = static_cast<uint32_t>(GetBE(raw, o + 12, 4));
    s.off = static_cast<uint32_t>(GetBE(raw, o + 16, 4));
    s.len = static_cast<uint32_t>(GetBE(raw, o + 20, 4));
    out.push_back(s);
  }
  return out;
}

}  // namespace tierfs::meta

namespace tierfs::meta {

std::string TrashName(Ino parent, Ino ino, std::string_view name) {
  std::string s = std::to_string(parent) + "-" + std::to_string(ino) + "-" + std::string(name);
  if (s.size() > kMaxNameLen) s.resize(kMaxNameLen);
  return s;
}

}  // namespace tierfs::meta
