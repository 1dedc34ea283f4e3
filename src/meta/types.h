// Metadata value types shared by every layer above meta/: inodes, attributes, dentries, slices,
// caller identity. Field meanings and units follow JuiceFS pkg/meta/interface.go (Attr, Slice,
// Entry) so that the engines can store them in the JuiceFS schema unchanged (docs/format.md).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/interrupt.h"

namespace tierfs::meta {

using Ino = uint64_t;

inline constexpr Ino kRootIno = 1;
// Trash root (JuiceFS TrashInode); its hourly sub-directories are kTrashIno + nextTrash.
inline constexpr Ino kTrashIno = 0x7FFFFFFF10000000ULL;
// Virtual files in the mount root are kMinInternalIno + 1..4 and never stored (JuiceFS vfs/internal.go).
inline constexpr Ino kMinInternalIno = 0x7FFFFFFF00000000ULL;
inline bool IsTrash(Ino ino) { return ino >= kTrashIno; }

// Chunk: 64 MiB logical unit of a file (JuiceFS ChunkBits = 26).
inline constexpr uint32_t kChunkBits = 26;
inline constexpr uint64_t kChunkSize = 1ULL << kChunkBits;
inline constexpr uint32_t kMaxNameLen = 255;

// Bytes a file of `length` bytes counts in usedSpace and quotas: 4 KiB aligned, at least 4 KiB
// (JuiceFS align4K; every other inode counts Align4K(0)).
inline int64_t Align4K(uint64_t length) {
  return length == 0 ? 4096 : static_cast<int64_t>((length + 4095) / 4096 * 4096);
}
inline constexpr uint32_t kMaxSymlinkLen = 4096;

// File types as stored (Attr.Typ in JuiceFS; the high nibble of the Redis attr's mode word).
enum class FileType : uint8_t {
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
  kFifo = 4,
  kBlockDev = 5,
  kCharDev = 6,
  kSocket = 7,
};

// Converts between FileType and the S_IF* bits of st_mode. ModeToType returns 0-valued
// FileType{} for an unknown S_IF value.
uint32_t TypeToStatMode(FileType t);
FileType StatModeToType(uint32_t st_mode);

// Attr flags (JuiceFS FlagImmutable, FlagAppend, ..., FlagSkipTrash).
inline constexpr uint8_t kFlagImmutable = 1 << 0;
inline constexpr uint8_t kFlagAppend = 1 << 1;
inline constexpr uint8_t kFlagSkipTrash = 1 << 5;

// Inode attributes. Times are seconds + nanoseconds (0..999,999,999) since the Unix epoch.
struct Attr {
  uint8_t flags = 0;
  FileType type = FileType::kFile;
  uint16_t mode = 0;  // permission bits incl. setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t atime = 0;
  uint32_t atimensec = 0;
  int64_t mtime = 0;
  uint32_t mtimensec = 0;
  int64_t ctime = 0;
  uint32_t ctimensec = 0;
  uint32_t nlink = 0;
  uint64_t length = 0;  // bytes; 4096 for directories; target length for symlinks
  uint32_t rdev = 0;
  Ino parent = 0;  // 0 when the inode has several parents (hard links)
  uint32_t access_acl = 0;
  uint32_t default_acl = 0;
  bool full = false;  // set when every field was loaded (not only what a dentry carries)

  // st_mode: S_IF* type bits | mode.
  uint32_t StatMode() const { return TypeToStatMode(type) | mode; }
};

// A directory entry as returned by lookup/readdir/mknod.
struct Entry {
  std::string name;
  Ino ino = 0;
  Attr attr;
  // false: a readdirplus found the entry but its inode was gone by the time its attributes were
  // read (another client removed it); only name, ino and attr.type are meaningful.
  bool attr_known = true;
};

// One slice record of a chunk (24 bytes on disk, docs/format.md): chunk bytes [pos, pos+len)
// are slice `id`'s bytes [off, off+len). `size` is the slice's full stored length. id 0 = zeros.
struct Slice {
  uint32_t pos = 0;
  uint64_t id = 0;
  uint32_t size = 0;
  uint32_t off = 0;
  uint32_t len = 0;
  bool operator==(const Slice&) const = default;
};

// The caller of an operation: its credentials are what permission checks use.
struct Context {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> gids;  // supplementary groups, including gid
  uint32_t pid = 0;
  uint16_t umask = 0;
  // Raised when the caller was interrupted (a signal): blocking waits end with EINTR. Null:
  // not interruptible. Not owned; valid for the duration of the call.
  const Interrupt* interrupt = nullptr;
  bool CheckPermission() const { return uid != 0; }
  static Context Root() { return Context{0, 0, {0}, 0, 0}; }
};

// statfs answer, in bytes and inode counts.
struct StatFs {
  uint64_t total_space = 0;
  uint64_t avail_space = 0;
  uint64_t used_inodes = 0;
  uint64_t avail_inodes = 0;
};

}  // namespace tierfs::meta
