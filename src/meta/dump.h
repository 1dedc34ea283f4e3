// Dump and load of a whole volume's metadata in the JSON format `juicefs dump` writes (JuiceFS
// pkg/meta/dump.go; docs/commands.md "dump" describes the shape). Engine-independent: the dump
// reads through the Engine read methods, the load writes through Engine::BeginLoad's LoadWriter.
//
// Format, as JuiceFS 1.4 writes it: one object with "Setting" (the volume setting),
// "Counters", "Sustained", "DelFiles" (json.MarshalIndent, two-space indent), then "FSTree"
// (the root) and "Trash" (the trash root), each a node: "attr" (one compact line), "symlink",
// "xattrs", "chunks" (one line per chunk when there are several), "entries" (directories:
// children by name, sorted bytewise). Names, symlink targets and xattr values go through
// JuiceFS's escape(): bytes <= 0x20, '%', '"', '\\' and bytes of invalid UTF-8 become %XX. A
// hard-linked file is written in full under each of its names.
//
// Thread-safety: functions of their arguments; one call per engine at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "meta/engine.h"

namespace tierfs::meta {

struct DumpOptions {
  // Write the secret key and session token as stored; by default they read "removed"
  // (JuiceFS --keep-secret-key).
  bool keep_secret_key = false;
  bool skip_trash = false;
  // Dump only this directory (a path from the root, "a/b"); its node becomes "FSTree" and the
  // trash is skipped (JuiceFS --subdir). "" or "/": the whole volume.
  std::string subdir;
  // After each node: (nodes written, expected total; 0 when unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Non-fatal findings (secret removed, an entry without its inode).
  std::function<void(const std::string&)> warn;
};

// Writes the volume's dump to `out`, in pieces of up to 64 KiB. ENOENT when the store holds no
// volume; ENOTSUP for what tierfs cannot dump faithfully (directory quotas, POSIX ACLs);
// engine errors as they come; the first error of `out` stops the dump. The dump of a mounted,
// changing volume is not a point-in-time snapshot (each node is read in its own transaction,
// as JuiceFS's default dump does).
Status DumpVolume(Engine& engine, const std::function<Status(std::string_view)>& out,
                  const DumpOptions& opt);

struct LoadOptions {
  // After each node stored: (nodes, expected total from the dump's counters; 0 if unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
  std::function<void(const std::string&)> warn;
};

// Loads a dump read from `in` (streamed: memory grows with the tree's depth and widest
// directory, plus a few bytes per inode for hard-link and slice bookkeeping) into the empty
// store of `engine`. As JuiceFS load: nlink, lengths of directories and symlinks, parents,
// usedSpace/totalInodes and slice reference counts are recomputed from the tree; sustained
// inodes are dropped (their sessions do not exist in the new store). Unlike JuiceFS,
// nextInode/nextChunk/nextTrash/nextSession are the larger of the recomputed and the dumped
// value, so that ids of files still pending deletion are never reused.
// EEXIST when the store is not empty; EINVAL (one line) for malformed JSON or a dump that is
// not of this format; ENOTSUP for quotas or ACLs in the dump. On any error nothing is stored.
Status LoadVolume(Engine& engine, std::istream& in, const LoadOptions& opt);

// JuiceFS escape()/unescape() of names, symlink targets and xattr values (exposed for tests).
// Unlike JuiceFS, a valid U+FFFD is escaped whole (JuiceFS keeps only its first byte).
std::string EscapeDumpString(std::string_view raw);
std::string UnescapeDumpString(std::string_view escaped);
// Appends `s` as a JSON string the way Go's encoding/json does (<, >, & and U+2028/9 as \u
// escapes; invalid UTF-8 as U+FFFD).
void AppendGoJsonString(std::string& out, std::string_view s);

}  // namespace tierfs::meta
