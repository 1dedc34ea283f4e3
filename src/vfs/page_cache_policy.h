// PageCachePolicy: whether the kernel may keep a file's cached pages at open (FOPEN_KEEP_CACHE).
// It may when the file is unchanged since an earlier open through this mount: same length,
// mtime and ctime as then (ctime changes with every write or attribute change of any client
// and cannot be set by users, so a rewrite that restores the old mtime, as `rsync -t` does, is
// still seen). Without it every open dropped the pages, and a compile re-read every header
// through FUSE at each of its many opens (JuiceFS keeps the cache of files whose mtime did not
// change, pkg/meta/openfile.go).
//
// Memory: one small entry per inode opened, at most kMaxEntries (then it starts again empty;
// holds no file descriptor). Thread-safety: all methods.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "meta/types.h"

namespace tierfs::vfs {

class PageCachePolicy {
 public:
  // Records what an open saw; returns whether the pages cached since the last open are valid.
  bool Open(meta::Ino ino, const meta::Attr& attr);
  // The file changed in a way the kernel's cache may not reflect: the next open drops it.
  void Forget(meta::Ino ino);

 private:
  struct Stamp {
    uint64_t length = 0;
    int64_t mtime = 0, ctime = 0;
    uint32_t mtimensec = 0, ctimensec = 0;
    bool operator==(const Stamp&) const = default;
  };
  static constexpr size_t kMaxEntries = 200000;  // ~10 MB

  std::mutex mu_;
  std::unordered_map<meta::Ino, Stamp> stamps_;
};

}  // namespace tierfs::vfs
