// The JuiceFS Redis schema (FORMAT.md §1; JuiceFS pkg/meta/redis.go *Key functions): key names
// and the binary values stored under them. Integers inside key names are decimal; values are
// big-endian. In Redis Cluster every key carries the prefix "{DB}" so that all of a volume's
// keys hash to one slot (MULTI/WATCH then work); standalone and Sentinel use no prefix.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "meta/types.h"

namespace tierfs::meta::redis {

struct Keys {
  std::string prefix;  // "" or "{N}"

  std::string Inode(Ino ino) const { return prefix + "i" + std::to_string(ino); }
  std::string Entries(Ino dir) const { return prefix + "d" + std::to_string(dir); }
  std::string Parents(Ino ino) const { return prefix + "p" + std::to_string(ino); }
  std::string Chunk(Ino ino, uint32_t indx) const {
    return prefix + "c" + std::to_string(ino) + "_" + std::to_string(indx);
  }
  std::string Symlink(Ino ino) const { return prefix + "s" + std::to_string(ino); }
  std::string Xattrs(Ino ino) const { return prefix + "x" + std::to_string(ino); }
  std::string Flocks(Ino ino) const { return prefix + "lockf" + std::to_string(ino); }
  std::string Plocks(Ino ino) const { return prefix + "lockp" + std::to_string(ino); }
  std::string Locked(uint64_t sid) const { return prefix + "locked" + std::to_string(sid); }
  std::string Sustained(uint64_t sid) const { return prefix + "session" + std::to_string(sid); }
  // Counter names as the engine interface gives them ("nextInode") -> key ("nextinode").
  std::string Counter(std::string_view name) const;
  std::string Named(std::string_view name) const { return prefix + std::string(name); }
};

// Field of sliceRef: "k{id}_{size}"; its value is the reference count minus one.
std::string SliceRefField(uint64_t id, uint32_t size);
// Field of lockf/lockp hashes: "{sid}_{owner:016X}".
std::string LockOwnerField(uint64_t sid, uint64_t owner);
// Parses a LockOwnerField; nullopt when malformed.
std::optional<std::pair<uint64_t, uint64_t>> ParseLockOwnerField(std::string_view f);
// Member of delfiles: "{ino}:{length}".
std::string DelFileMember(Ino ino, uint64_t length);
std::optional<std::pair<Ino, uint64_t>> ParseDelFileMember(std::string_view m);

// Attr <-> the i{ino} value: 71 bytes + ACL ids (8, when either is set) + a 0x00 pad, the
// layout of JuiceFS redisMeta.marshal/parseAttr (FORMAT.md §1.3). Decode: EIO-worthy input
// (shorter than 71 bytes) gives nullopt.
std::string EncodeAttr(const Attr& a);
std::optional<Attr> DecodeAttr(std::string_view b);

// d{dir} field values: type u8 + inode u64 (9 bytes).
std::string EncodeEntry(FileType t, Ino ino);
std::optional<std::pair<FileType, Ino>> DecodeEntry(std::string_view b);

// delSlices values: repeated {id u64, size u32}.
std::string EncodeDelayed(uint64_t id, uint32_t size);

// Integers as Redis returns them in bulk strings ("-12"); nullopt when not a number.
std::optional<int64_t> ParseInt(std::string_view s);

}  // namespace tierfs::meta::redis
