#include "meta/perm.h"

#include <linux/falloc.h>

#include <algorithm>

#include "meta/meta.h"

namespace tierfs::meta {
namespace {

bool InGroup(const Context& ctx, uint32_t gid) {
  return ctx.gid == gid || std::find(ctx.gids.begin(), ctx.gids.end(), gid) != ctx.gids.end();
}

constexpr uint16_t kSetUid = 04000;
constexpr uint16_t kSetGid = 02000;
constexpr uint16_t kSticky = 01000;

}  // namespace

Status Access(const Context& ctx, const Attr& attr, int mask) {
  if (ctx.uid == 0) {
    if ((mask & kMaskExec) && attr.type != FileType::kDirectory && (attr.mode & 0111) == 0) {
      return Status(EACCES, "no execute bit for root");
    }
    return Status();
  }
  int bits;
  if (attr.uid == ctx.uid) {
    bits = (attr.mode >> 6) & 7;
  } else if (InGroup(ctx, attr.gid)) {
    bits = (attr.mode >> 3) & 7;
  } else {
    bits = attr.mode & 7;
  }
  if ((bits & mask) != mask) return Status(EACCES, "permission denied");
  return Status();
}

Status CheckSticky(const Context& ctx, const Attr& dir, const Attr& child) {
  if ((dir.mode & kSticky) == 0 || ctx.uid == 0) return Status();
  if (ctx.uid == dir.uid || ctx.uid == child.uid) return Status();
  return Status(EPERM, "sticky directory: not the owner");
}

void InitOwner(const Context& ctx, const Attr& parent, Attr& child) {
  child.uid = ctx.uid;
  child.gid = ctx.gid;
  if (parent.mode & kSetGid) {
    child.gid = parent.gid;
    if (child.type == FileType::kDirectory) {
      child.mode |= kSetGid;
    } else if ((child.mode & kSetGid) && (child.mode & 010) && ctx.uid != 0 &&
               !InGroup(ctx, parent.gid)) {
      child.mode &= ~kSetGid;
    }
  }
}

Result<Attr> ApplySetAttr(const Context& ctx, const Attr& cur, uint32_t mask, const Attr& in,
                          int64_t now_s, uint32_t now_ns) {
  Attr out = cur;
  const bool root = ctx.uid == 0;
  const bool owner = ctx.uid == cur.uid;
  if (mask & (kSetAttrUid | kSetAttrGid)) {
    uint32_t uid = (mask & kSetAttrUid) ? in.uid : cur.uid;
    uint32_t gid = (mask & kSetAttrGid) ? in.gid : cur.gid;
    if (!root) {
      if (uid != cur.uid) return Err(EPERM, "only root may change the owner");
      if (gid != cur.gid && (!owner || !InGroup(ctx, gid))) {
        return Err(EPERM, "chgrp needs ownership and membership of the group");
      }
    }
    if (cur.type != FileType::kDirectory && (uid != cur.uid || gid != cur.gid || !root)) {
      out.mode &= ~kSetUid;
      if (out.mode & 010) out.mode &= ~kSetGid;
    }
    out.uid = uid;
    out.gid = gid;
  }
  if (mask & kSetAttrMode) {
    uint16_t mode = in.mode & 07777;
    // Only dropping set-id bits: what the kernel asks, with the writer's credentials, when a
    // user other than the owner writes or truncates a set-id file (file_remove_privs); Linux
    // lets that write succeed, so anyone who may write the file may do this.
    const bool drops_setid_only = mode != cur.mode && (mode & ~cur.mode) == 0 &&
                                  ((cur.mode ^ mode) & ~(kSetUid | kSetGid)) == 0;
    if (!root && !owner) {
      if (!drops_setid_only) return Err(EPERM, "only the owner may chmod");
      RETURN_IF_ERROR(Access(ctx, cur, kMaskWrite));
    } else if (!root && !InGroup(ctx, out.gid)) {
      mode &= ~kSetGid;
    }
    out.mode = mode;
  }
  auto set_now = [&](int64_t& s, uint32_t& ns) { s = now_s; ns = now_ns; };
  bool explicit_time = (mask & kSetAttrAtime && !(mask & kSetAttrAtimeNow)) ||
                       (mask & kSetAttrMtime && !(mask & kSetAttrMtimeNow));
  bool any_time = mask & (kSetAttrAtime | kSetAttrMtime | kSetAttrAtimeNow | kSetAttrMtimeNow);
  if (any_time && !root && !owner) {
    if (explicit_time) return Err(EPERM, "only the owner may set explicit times");
    RETURN_IF_ERROR(Access(ctx, cur, kMaskWrite));
  }
  if (mask & kSetAttrAtimeNow) {
    set_now(out.atime, out.atimensec);
  } else if (mask & kSetAttrAtime) {
    out.atime = in.atime;
    out.atimensec = in.atimensec;
  }
  if (mask & kSetAttrMtimeNow) {
    set_now(out.mtime, out.mtimensec);
  } else if (mask & kSetAttrMtime) {
    out.mtime = in.mtime;
    out.mtimensec = in.mtimensec;
  }
  if (mask & kSetAttrFlag) {
    if (!root && !owner) return Err(EPERM, "only the owner may change flags");
    out.flags = in.flags;
  }
  if (mask & kSetAttrCtime) {
    out.ctime = in.ctime;
    out.ctimensec = in.ctimensec;
  } else {
    set_now(out.ctime, out.ctimensec);
  }
  return out;
}

void KillPrivOnWrite(const Context& ctx, Attr& attr) {
  if (ctx.uid == 0 || attr.type != FileType::kFile) return;
  attr.mode &= ~kSetUid;
  if (attr.mode & 010) attr.mode &= ~kSetGid;
}

Status CheckWritableDir(const Context& ctx, const Attr& d, Ino ino) {
  if (d.type != FileType::kDirectory) return Status(ENOTDIR, "inode " + std::to_string(ino) + " is not a directory");
  RETURN_IF_ERROR(Access(ctx, d, kMaskWrite | kMaskExec));
  if (d.nlink == 0) return Status(ENOENT, "directory " + std::to_string(ino) + " was removed");
  if (d.flags & (kFlagImmutable | kFlagAppend)) return Status(EPERM, "directory is immutable or append-only");
  return Status();
}

Status CheckFallocate(uint32_t mode, uint64_t size) {
  if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) {
    return Status(EOPNOTSUPP, "collapse/insert range not supported");
  }
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)) {
    return Status(EINVAL, "punch hole needs FALLOC_FL_KEEP_SIZE");
  }
  if (size == 0) return Status(EINVAL, "fallocate of zero bytes");
  return Status();
}

void Touch(Attr& a, bool mtime) {
  WallTime t = tierfs::Now();
  a.ctime = t.sec; a.ctimensec = t.nsec;
  if (mtime) { a.mtime = t.sec; a.mtimensec = t.nsec; }
}

}  // namespace tierfs::meta
