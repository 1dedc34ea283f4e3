#include "chunk/cache_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "object/crc32c.h"
#include "util/file_io.h"

namespace tierfs::chunk {
namespace {

uint32_t LoadBe32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

// Verifies pieces [first, last) whose bytes start at `data` (piece `first` at data[0]).
int VerifyPieces(int fd, uint32_t len, uint32_t first, uint32_t last, const char* data) {
  if (first >= last) return 0;
  std::vector<char> crcs(size_t(last - first) * 4);
  if (int e = PreadAll(fd, crcs, uint64_t{len} + uint64_t{first} * 4); e != 0) return EIO;
  for (uint32_t p = first; p < last; p++) {
    uint64_t start = uint64_t{p} * kChecksumPiece;
    size_t n = size_t(std::min<uint64_t>(kChecksumPiece, len - start));
    uint32_t got = object::Crc32c(std::string_view(data + (start - uint64_t{first} * kChecksumPiece), n));
    if (got != LoadBe32(crcs.data() + size_t(p - first) * 4)) return EBADMSG;
  }
  return 0;
}

}  // namespace

Result<Eviction> ParseEviction(std::string_view text) {
  if (text == "lru") return Eviction::kLru;
  if (text == "2-random") return Eviction::kTwoRandom;
  if (text == "none") return Eviction::kNone;
  return Err(EINVAL, "--cache-eviction: want lru, 2-random or none, got \"" + std::string(text) + "\"");
}

Result<ChecksumLevel> ParseChecksumLevel(std::string_view text) {
  if (text == "none") return ChecksumLevel::kNone;
  if (text == "full") return ChecksumLevel::kFull;
  if (text == "shrink") return ChecksumLevel::kShrink;
  if (text == "extend") return ChecksumLevel::kExtend;
  return Err(EINVAL, "--verify-cache-checksum: want none, full, shrink or extend, got \"" +
                         std::string(text) + "\"");
}

std::string ChecksumTail(std::string_view data) {
  std::string out;
  out.reserve(ChecksumBytes(uint32_t(data.size())));
  for (size_t off = 0; off < data.size(); off += kChecksumPiece) {
    uint32_t c = object::Crc32c(data.substr(off, kChecksumPiece));
    const char be[4] = {char(c >> 24), char(c >> 16), char(c >> 8), char(c)};
    out.append(be, 4);
  }
  return out;
}

CacheFileShape ShapeOf(uint32_t len, uint64_t size) {
  if (size < len) return {};
  const uint64_t extra = size - len;
  const uint64_t tail = ChecksumBytes(len);
  if (extra == 0 || extra == kStageFooterBytes) return {true, false};
  if (extra == tail || extra == tail + kStageFooterWithChecksumBytes) return {true, true};
  return {};
}

int ReadCacheFile(int fd, uint32_t len, const CacheFileShape& shape, ChecksumLevel level,
                  uint32_t off, std::span<char> out) {
  const uint64_t end = uint64_t{off} + out.size();
  if (end > len) return EIO;
  if (!shape.checksums || level == ChecksumLevel::kNone ||
      (level == ChecksumLevel::kFull && !(off == 0 && end == len))) {
    return PreadAll(fd, out, off) == 0 ? 0 : EIO;
  }
  if (level == ChecksumLevel::kExtend || level == ChecksumLevel::kFull) {
    const uint32_t first = off / kChecksumPiece;
    const uint32_t last = uint32_t((end + kChecksumPiece - 1) / kChecksumPiece);
    const uint64_t from = uint64_t{first} * kChecksumPiece;
    const uint64_t to = std::min<uint64_t>(uint64_t{last} * kChecksumPiece, len);
    if (from == off && to == end) {  // already whole pieces: verify in place
      if (PreadAll(fd, out, off) != 0) return EIO;
      return VerifyPieces(fd, len, first, last, out.data());
    }
    std::vector<char> wide(to - from);
    if (PreadAll(fd, wide, from) != 0) return EIO;
    if (int e = VerifyPieces(fd, len, first, last, wide.data()); e != 0) return e;
    std::memcpy(out.data(), wide.data() + (off - from), out.size());
    return 0;
  }
  // shrink: the pieces inside the read (the last piece of the block counts when it ends there).
  if (PreadAll(fd, out, off) != 0) return EIO;
  uint32_t first = (off + kChecksumPiece - 1) / kChecksumPiece;
  uint32_t last = end == len ? uint32_t((end + kChecksumPiece - 1) / kChecksumPiece)
                             : uint32_t(end / kChecksumPiece);
  if (first >= last) return 0;
  return VerifyPieces(fd, len, first, last, out.data() + (uint64_t{first} * kChecksumPiece - off));
}

int ReadBlockFile(const std::string& path, uint32_t len, ChecksumLevel level, uint32_t off,
                  std::span<char> out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st;
  int err = fstat(fd, &st) == 0 ? 0 : errno;
  CacheFileShape shape;
  if (err == 0) shape = ShapeOf(len, uint64_t(st.st_size));
  if (err == 0 && !shape.valid) err = EBADMSG;
  if (err == 0) err = ReadCacheFile(fd, len, shape, level, off, out);
  close(fd);
  return err;
}

Status ScanBlockFiles(const std::string& root,
                      const std::function<void(const std::string& key, const struct stat& st)>& fn) {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    const std::string path = it->path().string();
    if (path.ends_with(".tmp")) {
      unlink(path.c_str());
      continue;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) fn(path.substr(root.size()), st);
  }
  if (ec) return Status(EIO, "cannot scan " + root + ": " + ec.message());
  return Status::Ok();
}

}  // namespace tierfs::chunk
