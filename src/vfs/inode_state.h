// Private to src/vfs: per-inode state of open files and per-open handles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "meta/types.h"
#include "vfs/file_writer.h"
#include "vfs/slice_view.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {

// State shared by every handle open on one inode. Lives while some handle is open.
struct InodeState {
  int opens = 0;  // guarded by Vfs::inodes_mu_ (not `mu`): taken and dropped with the map entry
  std::mutex mu;
  std::map<uint32_t, std::vector<Piece>> chunks;  // resolved slice lists, dropped on change
  std::optional<uint64_t> length;                 // committed length, dropped with `chunks`
  uint64_t generation = 0;  // bumped by Invalidate: a fill that raced it must not be stored
  // The file's length and mtime as this mount last saw them in meta (getattr, open): when they
  // change, some client wrote the file, and `chunks` and `length` may be stale.
  struct Seen {
    uint64_t length = 0;
    int64_t mtime = 0;
    uint32_t mtimensec = 0;
    bool operator==(const Seen&) const = default;
  };
  std::optional<Seen> seen;
  bool plocked = false;     // a POSIX lock was taken through this mount: unlock on close
  // A directory open here: its attributes at opendir, for fstat after an rmdir (Linux answers
  // with nlink 0 where meta, the inode gone, says ENOENT).
  std::optional<meta::Attr> dir_attr;
  // Created at the first write. Last member, so destroyed first: its commit hook touches the
  // members above until its destructor has waited for the commits to end.
  std::unique_ptr<FileWriter> writer;

  // Forgets what was read from meta (slice lists, length). REQUIRES: mu held.
  void Invalidate() {
    chunks.clear();
    length.reset();
    ++generation;
  }
  // Meta shows `a` now: forgets what was read from meta if the file changed since it was
  // last seen (another client's write; ours too, which costs one re-read). REQUIRES: mu held.
  void Saw(const meta::Attr& a) {
    Seen now{a.length, a.mtime, a.mtimensec};
    if (seen && *seen != now) Invalidate();
    seen = now;
  }
  // This mount committed `slice` to chunk `indx`, making the file at least `end` bytes long:
  // the cached list and length take it in as meta now has them (a later slice wins), saving the
  // two metadata reads the next read would make. REQUIRES: mu held.
  void Committed(uint32_t indx, const meta::Slice& slice, uint64_t end) {
    if (auto it = chunks.find(indx); it != chunks.end()) OverlaySlice(it->second, slice);
    if (length) length = std::max(*length, end);
    ++generation;  // a fill that read meta before this commit must not be kept
  }
  // Forgets chunk `indx`'s slice list and the length (a slice was compacted).
  // REQUIRES: mu held.
  void InvalidateChunk(uint32_t indx) {
    chunks.erase(indx);
    length.reset();
    ++generation;
  }
};

struct Handle {
  meta::Ino ino = 0;
  int flags = 0;
  std::shared_ptr<InodeState> inode;  // files
  bool is_dir = false;
  std::vector<DirEntryOut> entries;  // directory snapshot, taken at the first readdir
  bool listed = false;
  bool plus = false;
  bool internal = false;
  std::string content;  // internal files: produced at open
  std::mutex mu;
};

// Virtual inodes of the mount root (JuiceFS vfs/internal.go numbering).
inline constexpr meta::Ino kControlIno = meta::kMinInternalIno + 1;
inline constexpr meta::Ino kStatsIno = meta::kMinInternalIno + 3;
inline constexpr meta::Ino kConfigIno = meta::kMinInternalIno + 4;
inline bool IsInternal(meta::Ino ino) { return ino > meta::kMinInternalIno && ino < meta::kTrashIno; }

}  // namespace tierfs::vfs
