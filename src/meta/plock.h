// POSIX record-lock lists as JuiceFS stores them (FORMAT.md §1.3 "Plock record"): per
// (inode, session, owner) a sorted list of non-overlapping 24-byte big-endian records
// {type u32, pid u32, start u64, end u64} with Linux lock types (F_RDLCK 0, F_WRLCK 1).
// `end` is inclusive; UINT64_MAX means to end of file. Pure functions, engine-agnostic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meta/meta.h"

namespace tierfs::meta {

std::string EncodePlocks(const std::vector<PosixLock>& locks);
std::vector<PosixLock> DecodePlocks(std::string_view raw);
// Replaces [lk.start, lk.end] of `owned` by lk (or removes it for kLockUnlock), splitting
// records it cuts and merging neighbours of equal type and pid.
std::vector<PosixLock> UpdatePlocks(const std::vector<PosixLock>& owned, const PosixLock& lk);
// True when `a` and `b` overlap and at least one is a write lock.
bool PlocksConflict(const PosixLock& a, const PosixLock& b);

}  // namespace tierfs::meta
