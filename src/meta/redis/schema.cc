// The JuiceFS Redis schema's key names and binary values (FORMAT.md §1.2-1.3).
#include "meta/redis/schema.h"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace tierfs::meta::redis {
namespace {

void Put(std::string& b, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i)));
}

// Big-endian reader over a value; reads past the end yield 0 and set `short_`.
struct Reader {
  std::string_view b;
  size_t off = 0;
  size_t left() const { return b.size() - off; }
  uint64_t Get(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | uint8_t(off < b.size() ? b[off++] : 0);
    return v;
  }
};

}  // namespace

std::string Keys::Counter(std::string_view name) const {
  if (name == "nextInode" || name == "nextChunk" || name == "nextSession") {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return prefix + lower;
  }
  return prefix + std::string(name);
}

std::string SliceRefField(uint64_t id, uint32_t size) {
  return "k" + std::to_string(id) + "_" + std::to_string(size);
}

std::string LockOwnerField(uint64_t sid, uint64_t owner) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu_%016llX", static_cast<unsigned long long>(sid),
                static_cast<unsigned long long>(owner));
  return buf;
}

std::optional<std::pair<uint64_t, uint64_t>> ParseLockOwnerField(std::string_view f) {
  auto us = f.find('_');
  if (us == std::string_view::npos) return std::nullopt;
  uint64_t sid = 0, owner = 0;
  auto a = std::from_chars(f.data(), f.data() + us, sid);
  auto b = std::from_chars(f.data() + us + 1, f.data() + f.size(), owner, 16);
  if (a.ec != std::errc() || b.ec != std::errc() || b.ptr != f.data() + f.size()) return std::nullopt;
  return std::pair{sid, owner};
}

std::string DelFileMember(Ino ino, uint64_t length) {
  return std::to_string(ino) + ":" + std::to_string(length);
}

std::optional<std::pair<Ino, uint64_t>> ParseDelFileMember(std::string_view m) {
  auto colon = m.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Ino ino = 0;
  uint64_t len = 0;
  auto a = std::from_chars(m.data(), m.data() + colon, ino);
  auto b = std::from_chars(m.data() + colon + 1, m.data() + m.size(), len);
  if (a.ec != std::errc() || b.ec != std::errc()) return std::nullopt;
  return std::pair{ino, len};
}

std::string EncodeAttr(const Attr& a) {
  std::string b;
  b.reserve(81);
  Put(b, a.flags, 1);
  Put(b, (uint64_t(static_cast<uint8_t>(a.type)) << 12) | (a.mode & 0x0FFF), 2);
  Put(b, a.uid, 4);
  Put(b, a.gid, 4);
  Put(b, uint64_t(a.atime), 8);
  Put(b, a.atimensec, 4);
  Put(b, uint64_t(a.mtime), 8);
  Put(b, a.mtimensec, 4);
  Put(b, uint64_t(a.ctime), 8);
  Put(b, a.ctimensec, 4);
  Put(b, a.nlink, 4);
  Put(b, a.length, 8);
  Put(b, a.rdev, 4);
  Put(b, a.parent, 8);
  if (a.access_acl || a.default_acl) {
    Put(b, a.access_acl, 4);
    Put(b, a.default_acl, 4);
  }
  b.push_back('\0');  // JuiceFS allocates one byte more than it writes
  return b;
}

std::optional<Attr> DecodeAttr(std::string_view b) {
  if (b.size() < 71) return std::nullopt;
  Reader r{b};
  Attr a;
  a.flags = static_cast<uint8_t>(r.Get(1));
  uint64_t m = r.Get(2);
  a.type = static_cast<FileType>(m >> 12);
  a.mode = static_cast<uint16_t>(m & 0x0FFF);
  a.uid = static_cast<uint32_t>(r.Get(4));
  a.gid = static_cast<uint32_t>(r.Get(4));
  a.atime = static_cast<int64_t>(r.Get(8));
  a.atimensec = static_cast<uint32_t>(r.Get(4));
  a.mtime = static_cast<int64_t>(r.Get(8));
  a.mtimensec = static_cast<uint32_t>(r.Get(4));
  a.ctime = static_cast<int64_t>(r.Get(8));
  a.ctimensec = static_cast<uint32_t>(r.Get(4));
  a.nlink = static_cast<uint32_t>(r.Get(4));
  a.length = r.Get(8);
  a.rdev = static_cast<uint32_t>(r.Get(4));
  if (r.left() >= 8) a.parent = r.Get(8);
  if (r.left() >= 8) {
    a.access_acl = static_cast<uint32_t>(r.Get(4));
    a.default_acl = static_cast<uint32_t>(r.Get(4));
  }
  a.full = true;
  return a;
}

std::string EncodeEntry(FileType t, Ino ino) {
  std::string b;
  Put(b, static_cast<uint8_t>(t), 1);
  Put(b, ino, 8);
  return b;
}

std::optional<std::pair<FileType, Ino>> DecodeEntry(std::string_view b) {
  if (b.size() != 9) return std::nullopt;
  Reader r{b};
  auto t = static_cast<FileType>(r.Get(1));
  return std::pair{t, Ino(r.Get(8))};
}

std::string EncodeDelayed(uint64_t id, uint32_t size) {
  std::string b;
  Put(b, id, 8);
  Put(b, size, 4);
  return b;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace tierfs::meta::redis
