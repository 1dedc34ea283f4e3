// The POSIX permission rules of tierfs, in one place. Engines call these inside their
// transactions (on the attrs they just read) and contain no permission logic of their own.
// Linux is the reference (fs/namei.c, fs/attr.c, fs/inode.c); JuiceFS base.go agrees except
// where noted.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "meta/types.h"
#include "util/clock.h"
#include "util/status.h"

namespace tierfs::meta {

// Access mask bits, as access(2): read 4, write 2, exec/search 1.
inline constexpr int kMaskRead = 4;
inline constexpr int kMaskWrite = 2;
inline constexpr int kMaskExec = 1;

// EACCES unless ctx may access `attr` for every bit of `mask`. Owner bits, else group bits when
// attr.gid is ctx.gid or one of ctx.gids, else other bits. Root passes, except that exec on a
// non-directory needs at least one x bit.
Status Access(const Context& ctx, const Attr& attr, int mask);

// In a sticky directory only the owner of the entry, the owner of the directory, or root may
// remove or rename the entry: EPERM otherwise (Linux; JuiceFS answers EACCES).
Status CheckSticky(const Context& ctx, const Attr& dir, const Attr& child);

// Owner, group and mode of a new inode in `parent`: gid from the parent when it is setgid (and
// then new directories inherit the setgid bit), else ctx.gid; a non-directory created with
// setgid by a caller outside its group loses setgid (Linux inode_init_owner).
void InitOwner(const Context& ctx, const Attr& parent, Attr& child);

// Applies setattr `mask` (kSetAttr* of meta.h) of `in` to `cur`, enforcing: chmod by owner or
// root (EPERM), setgid dropped when a non-root caller is not in the file's group; chown only by
// root, chgrp by the owner to one of its groups (EPERM); chown/chgrp of a non-directory clears
// setuid, and setgid when group-exec is set; explicit times only by owner/root (EPERM), "now"
// also by a writer (EACCES). ctime is always set to now_*. Returns the new attr.
Result<Attr> ApplySetAttr(const Context& ctx, const Attr& cur, uint32_t mask, const Attr& in,
                          int64_t now_s, uint32_t now_ns);

// Truncate by a non-root caller clears setuid/setgid like a write does (Linux file_remove_privs).
void KillPrivOnWrite(const Context& ctx, Attr& attr);

// A directory `ino` (attr d) the caller may add entries to or remove entries from: ENOTDIR,
// EACCES (no w+x), ENOENT (removed, nlink 0), EPERM (immutable or append-only).
Status CheckWritableDir(const Context& ctx, const Attr& d, Ino ino);

// fallocate(2) modes the engines implement (allocate, keep-size, punch-hole, zero-range):
// EOPNOTSUPP for collapse/insert range, EINVAL for punch-hole without keep-size or size 0.
Status CheckFallocate(uint32_t mode, uint64_t size);

// ctime := now (util/clock.h Now()), and mtime too when `mtime`.
void Touch(Attr& a, bool mtime);

}  // namespace tierfs::meta
