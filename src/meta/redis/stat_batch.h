// StatBatch: the volume's usage counters (usedSpace, totalInodes) and the directories' stats
// (dirDataLength / dirUsedSpace / dirUsedInodes) changed by committed transactions, kept here and
// written to Redis once a second in one script call, instead of 2 + 3 increments inside every
// transaction. JuiceFS batches its dir stats the same way (base.go updateDirStat /
// flushDirStat); its Redis usage counters go inside each transaction.
//
// What it costs: other clients see this client's changes to the counters up to a second late
// (statfs here adds what is still pending); a client killed before a flush loses up to a
// second of deltas (the counters drift; `juicefs fsck` / a dir-stat recompute repairs them).
// The flush only adds to directory fields that still exist (a removed directory's fields are
// not brought back).
//
// Thread-safety: all methods.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "meta/types.h"

namespace tierfs::meta::redis {

struct StatDeltas {
  int64_t space = 0, inodes = 0;  // bytes (4 KiB-aligned sizes), inodes
  struct Dir {
    int64_t length = 0, space = 0, inodes = 0;
  };
  std::map<Ino, Dir> dirs;
  bool empty() const { return space == 0 && inodes == 0 && dirs.empty(); }
  void Merge(const StatDeltas& o);
};

class StatBatch {
 public:
  // Adds what one committed transaction changed.
  void Add(const StatDeltas& d);
  // Everything pending, which is cleared (a failed flush gives it back with Add).
  StatDeltas Take();
  // The pending usage deltas (statfs adds them to the server's counters).
  int64_t PendingSpace() const;
  int64_t PendingInodes() const;

  // The flush script (Lua, run by EVALSHA): KEYS usedSpace, totalInodes, dirDataLength,
  // dirUsedSpace, dirUsedInodes; ARGV space, inodes, then dir, length, space, inodes for
  // each directory. Args for `d`.
  static const std::string& Script();
  static std::vector<std::string> Args(const StatDeltas& d);

 private:
  mutable std::mutex mu_;
  StatDeltas pending_;
};

}  // namespace tierfs::meta::redis
