// The bytes of a tier-1 cache file or a staged block file, as JuiceFS writes and reads them
// (FORMAT.md §6; JuiceFS pkg/chunk/disk_cache.go flushPage, checksum, openCacheFile,
// cacheFile.ReadAt): the block's plaintext (`len` bytes, the key's last number), then, unless
// the checksum level is none, one CRC-32C (Castagnoli) per 32 KiB piece as big-endian uint32s,
// then (JuiceFS 1.4 staged blocks of a storage tier != 0 only) a footer we skip. A file of
// exactly `len` bytes has no checksums and is accepted at any level.
// Thread-safety: pure functions (ReadCacheFile reads a caller's fd with pread).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs::chunk {

// `--verify-cache-checksum`: none | full (whole-block reads) | shrink (the pieces a read
// covers entirely) | extend (default: a read is widened to whole pieces, all verified).
enum class ChecksumLevel { kNone, kFull, kShrink, kExtend };
Result<ChecksumLevel> ParseChecksumLevel(std::string_view text);  // EINVAL naming the values

// `--cache-eviction` (disk_cache.h): lru | 2-random | none; EINVAL naming the values.
enum class Eviction { kLru, kTwoRandom, kNone };
Result<Eviction> ParseEviction(std::string_view text);

inline constexpr uint32_t kChecksumPiece = 32 << 10;  // bytes per CRC

// Bytes of the checksum tail of a block of `len` bytes: 4 per started 32 KiB piece.
inline uint64_t ChecksumBytes(uint32_t len) {
  return 4ULL * ((uint64_t{len} + kChecksumPiece - 1) / kChecksumPiece);
}
// The checksum tail of `data` (appended after it when the level is not none).
std::string ChecksumTail(std::string_view data);

// JuiceFS 1.4's footer of staged blocks of a storage tier != 0 (magic, length, msgpack {tier,
// pad}): 18 bytes after the data, or 20 after a checksum tail (pkg/chunk stageFooter).
inline constexpr uint64_t kStageFooterBytes = 18;
inline constexpr uint64_t kStageFooterWithChecksumBytes = 20;

// Whether a file of `size` bytes can hold a block of `len` bytes, and whether it carries
// checksums: exactly len; len + tail; len + tail + footer; len + footer. Any other size is a
// damaged or foreign file (JuiceFS openCacheFile accepts the same shapes).
struct CacheFileShape {
  bool valid = false;
  bool checksums = false;
};
CacheFileShape ShapeOf(uint32_t len, uint64_t size);

// Reads bytes [off, off + out.size()) of the block in open file `fd`, verifying pieces as
// `level` says when the file has checksums. 0, or EIO (short file, read error) or EBADMSG (a
// checksum mismatch). REQUIRES: off + out.size() <= len.
int ReadCacheFile(int fd, uint32_t len, const CacheFileShape& shape, ChecksumLevel level,
                  uint32_t off, std::span<char> out);
// The same for the file at `path`: opens it, checks its shape, reads and verifies. 0, or the
// errno of a failing open (ENOENT: no such file), EBADMSG (a size that fits no shape, or a
// checksum mismatch), EIO (a short or failing read).
int ReadBlockFile(const std::string& path, uint32_t len, ChecksumLevel level, uint32_t off,
                  std::span<char> out);

// Walks the block files under `root` (ending in '/'), removing leftover "*.tmp" files (a
// crash in the middle of a write: never acknowledged), and calls fn(key relative to root, its
// stat) for every other regular file. EIO naming the directory when it cannot be walked.
Status ScanBlockFiles(const std::string& root,
                      const std::function<void(const std::string& key, const struct stat& st)>& fn);

}  // namespace tierfs::chunk
