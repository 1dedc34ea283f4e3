// fuse_lowlevel_ops: each callback is a noexcept wrapper that builds the caller's Context,
// calls one Vfs method and replies exactly once (an errno from the Status on failure).
#include "fuse/fuse_ops.h"

#include <sys/file.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fuse/op_metrics.h"
#include "vfs/vfs.h"

namespace tierfs::fuse {
namespace {

MountContext* Mount(fuse_req_t req) { return static_cast<MountContext*>(fuse_req_userdata(req)); }
vfs::Vfs* V(fuse_req_t req) { return Mount(req)->vfs; }

meta::Context Ctx(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  meta::Context ctx{c->uid, c->gid, {c->gid}, uint32_t(c->pid), uint16_t(c->umask)};
  if (c->uid != 0) {
    gid_t groups[64];
    int n = fuse_req_getgroups(req, 64, groups);
    for (int i = 0; i < n && i < 64; i++)
      if (groups[i] != c->gid) ctx.gids.push_back(groups[i]);
  }
  return ctx;
}

// Replies errno for a failed Status; logs what the kernel will only see as a number.
int ErrnoOf(const char* op, const Status& s) {
  int e = s.code() == 0 ? EIO : s.code();
  if (e == EIO) spdlog::warn("{}: {}", op, s.ToString());
  return e;
}

void ReplyErr(fuse_req_t req, const char* op, const Status& s) {
  fuse_reply_err(req, ErrnoOf(op, s));
}

// For a request addressed to an inode the kernel holds (GETATTR, OPEN, SETATTR, xattrs, ...):
// ENOENT means the inode is gone from the metadata: another client removed it, or replaced it
// by a rename, after this kernel cached the dentry that led to it; the invalidation is on its
// way. ESTALE instead makes a path-based syscall (stat, open, chmod, getxattr, access, ...) walk
// its path again with a fresh LOOKUP (the VFS's retry_estale / LOOKUP_REVAL, as for NFS), so it
// finds what the name points to now: the new file, or ENOENT when the name is gone too. A
// syscall on an open descriptor (fstat) gets ESTALE ("stale file handle"), as on NFS.
int InodeErrno(const char* op, const Status& s) {
  int e = ErrnoOf(op, s);
  return e == ENOENT ? ESTALE : e;
}

void ReplyInodeErr(fuse_req_t req, const char* op, const Status& s) {
  fuse_reply_err(req, InodeErrno(op, s));
}

void ReplyInodeStatus(fuse_req_t req, const char* op, const Status& s) {
  fuse_reply_err(req, s.ok() ? 0 : InodeErrno(op, s));
}

void FillEntry(const vfs::EntryOut& e, fuse_entry_param* p) {
  std::memset(p, 0, sizeof(*p));
  p->ino = e.ino;
  p->generation = 1;
  p->attr = e.attr;
  p->attr_timeout = e.attr_timeout;
  p->entry_timeout = e.entry_timeout;
}

void ReplyEntry(fuse_req_t req, const char* op, const Result<vfs::EntryOut>& r) {
  if (!r) return ReplyErr(req, op, r.error());
  fuse_entry_param p;
  FillEntry(*r, &p);
  fuse_reply_entry(req, &p);
}

void ReplyStatus(fuse_req_t req, const char* op, const Status& s) {
  fuse_reply_err(req, s.ok() ? 0 : ErrnoOf(op, s));
}

void OpInit(void* userdata, fuse_conn_info* conn) noexcept {
  auto* m = static_cast<MountContext*>(userdata);
  conn->max_write = m->options->max_write;
  conn->max_readahead = std::max(conn->max_readahead, m->options->max_write);
  unsigned want = FUSE_CAP_ASYNC_READ | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS |
                  FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO |
                  FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_PARALLEL_DIROPS |
                  // the kernel drops a file's pages when re-read attributes show another
                  // mtime or size (KernelNotifier invalidates attributes only)
                  FUSE_CAP_AUTO_INVAL_DATA;
  conn->want |= want & conn->capable;
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  OpTimer t(req, kLookup);
  ReplyEntry(req, "lookup", V(req)->Lookup(Ctx(req), parent, name));
}

void OpForget(fuse_req_t req, fuse_ino_t, uint64_t) noexcept { fuse_reply_none(req); }

void OpForgetMulti(fuse_req_t req, size_t, fuse_forget_data*) noexcept { fuse_reply_none(req); }

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) noexcept {
  OpTimer t(req, kGetattr);
  auto r = V(req)->GetAttr(Ctx(req), ino);
  if (!r) return ReplyInodeErr(req, "getattr", r.error());
  fuse_reply_attr(req, &r->attr, r->attr_timeout);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
               fuse_file_info* fi) noexcept {
  OpTimer t(req, kSetattr);
  auto r = V(req)->SetAttr(Ctx(req), ino, to_set, *attr, fi ? fi->fh : 0);
  if (!r) return ReplyInodeErr(req, "setattr", r.error());
  fuse_reply_attr(req, &r->attr, r->attr_timeout);
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) noexcept {
  OpTimer t(req, kReadlink);
  auto r = V(req)->ReadLink(Ctx(req), ino);
  if (!r) return ReplyInodeErr(req, "readlink", r.error());
  fuse_reply_readlink(req, r->c_str());
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
             dev_t rdev) noexcept {
  OpTimer t(req, kMknod);
  ReplyEntry(req, "mknod", V(req)->Mknod(Ctx(req), parent, name, mode, uint32_t(rdev)));
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept {
  OpTimer t(req, kMkdir);
  ReplyEntry(req, "mkdir", V(req)->Mkdir(Ctx(req), parent, name, mode));
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  OpTimer t(req, kUnlink);
  ReplyStatus(req, "unlink", V(req)->Unlink(Ctx(req), parent, name));
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
  OpTimer t(req, kRmdir);
  ReplyStatus(req, "rmdir", V(req)->Rmdir(Ctx(req), parent, name));
}

void OpSymlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) noexcept {
  OpTimer t(req, kSymlink);
  ReplyEntry(req, "symlink", V(req)->Symlink(Ctx(req), parent, name, target));
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) noexcept {
  OpTimer t(req, kRename);
  ReplyStatus(req, "rename", V(req)->Rename(Ctx(req), parent, name, newparent, newname, flags));
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) noexcept {
  OpTimer t(req, kLink);
  ReplyEntry(req, "link", V(req)->Link(Ctx(req), ino, newparent, newname));
}

void ReplyOpen(fuse_req_t req, fuse_file_info* fi, const vfs::OpenOut& o) {
  fi->fh = o.fh;
  fi->keep_cache = o.keep_cache;
  fi->direct_io = o.direct_io;
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  OpTimer t(req, kOpen);
  auto r = V(req)->Open(Ctx(req), ino, fi->flags);
  if (!r) return ReplyInodeErr(req, "open", r.error());
  ReplyOpen(req, fi, *r);
  if (fuse_reply_open(req, fi) == -ENOENT) (void)V(req)->Release(ino, r->fh);  // interrupted
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) noexcept {
  OpTimer t(req, kCreate);
  auto r = V(req)->Create(Ctx(req), parent, name, mode, fi->flags);
  if (!r) return ReplyErr(req, "create", r.error());
  fuse_entry_param p;
  FillEntry(r->first, &p);
  ReplyOpen(req, fi, r->second);
  if (fuse_reply_create(req, &p, fi) == -ENOENT) (void)V(req)->Release(p.ino, r->second.fh);
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) noexcept {
  OpTimer t(req, kRead);
  thread_local std::vector<char> buf;
  if (buf.size() < size) buf.resize(size);
  auto r = V(req)->Read(Ctx(req), ino, fi->fh, uint64_t(off), std::span<char>(buf.data(), size));
  if (!r) return ReplyErr(req, "read", r.error());
  t.Bytes(kReadBytes, *r);
  fuse_reply_buf(req, buf.data(), *r);
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t off,
             fuse_file_info* fi) noexcept {
  OpTimer t(req, kWrite);
  auto r = V(req)->Write(Ctx(req), ino, fi->fh, uint64_t(off), std::span<const char>(data, size));
  if (!r) return ReplyErr(req, "write", r.error());
  t.Bytes(kWriteBytes, *r);
  fuse_reply_write(req, *r);
}

void OpFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  OpTimer t(req, kFlush);
  ReplyStatus(req, "flush", V(req)->Flush(Ctx(req), ino, fi->fh, fi->lock_owner));
}

void OpRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  OpTimer t(req, kRelease);
  Status u;
  // The last close of an open file description drops its flock (flock(2) semantics).
  if (fi->flock_release) u = V(req)->Flock(Ctx(req), ino, fi->lock_owner, LOCK_UN);
  Status s = V(req)->Release(ino, fi->fh);
  ReplyStatus(req, "release", s.ok() ? u : s);
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) noexcept {
  OpTimer t(req, kFsync);
  ReplyStatus(req, "fsync", V(req)->Fsync(Ctx(req), ino, fi->fh));
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  OpTimer t(req, kOpendir);
  auto r = V(req)->OpenDir(Ctx(req), ino, false);
  if (!r) return ReplyInodeErr(req, "opendir", r.error());
  fi->fh = *r;
  fi->cache_readdir = 0;
  if (fuse_reply_open(req, fi) == -ENOENT) (void)V(req)->ReleaseDir(ino, *r);
}

void DoReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
               bool plus) {
  auto r = V(req)->ReadDir(Ctx(req), ino, fi->fh, uint64_t(off), plus);
  if (!r) return ReplyErr(req, plus ? "readdirplus" : "readdir", r.error());
  const auto& entries = **r;
  std::vector<char> buf(size);
  size_t used = 0;
  for (size_t i = size_t(off); i < entries.size(); i++) {
    const vfs::DirEntryOut& e = entries[i];
    size_t n;
    if (plus) {
      fuse_entry_param p;
      FillEntry(e.entry, &p);
      if (e.name == "." || e.name == "..") {  // the kernel looks these up itself
        p = fuse_entry_param{};
        p.attr = e.entry.attr;
      }
      n = fuse_add_direntry_plus(req, buf.data() + used, size - used, e.name.c_str(), &p,
                                 off_t(i + 1));
    } else {
      n = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &e.entry.attr,
                            off_t(i + 1));
    }
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
               fuse_file_info* fi) noexcept {
  OpTimer t(req, kReaddir);
  DoReaddir(req, ino, size, off, fi, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   fuse_file_info* fi) noexcept {
  OpTimer t(req, kReaddir);
  DoReaddir(req, ino, size, off, fi, true);
}

void OpReleasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
  ReplyStatus(req, "releasedir", V(req)->ReleaseDir(ino, fi->fh));
}

void OpFsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) noexcept {
  fuse_reply_err(req, 0);  // metadata is committed when each operation returns
}

void OpStatfs(fuse_req_t req, fuse_ino_t ino) noexcept {
  OpTimer t(req, kStatfs);
  auto r = V(req)->StatFs(Ctx(req), ino);
  if (!r) return ReplyErr(req, "statfs", r.error());
  fuse_reply_statfs(req, &*r);
}

void OpSetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags) noexcept {
  OpTimer t(req, kSetxattr);
  ReplyInodeStatus(req, "setxattr",
              V(req)->SetXattr(Ctx(req), ino, name, std::string_view(value, size), flags));
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept {
  OpTimer t(req, kGetxattr);
  auto r = V(req)->GetXattr(Ctx(req), ino, name);
  if (!r) return ReplyInodeErr(req, "getxattr", r.error());
  if (size == 0) return (void)fuse_reply_xattr(req, r->size());
  if (r->size() > size) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, r->data(), r->size());
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept {
  OpTimer t(req, kListxattr);
  auto r = V(req)->ListXattr(Ctx(req), ino);
  if (!r) return ReplyInodeErr(req, "listxattr", r.error());
  std::string names;
  for (const auto& n : *r) names.append(n).push_back('\0');
  if (size == 0) return (void)fuse_reply_xattr(req, names.size());
  if (names.size() > size) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, names.data(), names.size());
}

void OpRemovexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept {
  OpTimer t(req, kRemovexattr);
  ReplyInodeStatus(req, "removexattr", V(req)->RemoveXattr(Ctx(req), ino, name));
}

void OpAccess(fuse_req_t req, fuse_ino_t ino, int mask) noexcept {
  OpTimer t(req, kAccess);
  ReplyInodeStatus(req, "access", V(req)->Access(Ctx(req), ino, mask));
}

meta::PosixLock ToLock(const struct flock* l) {
  meta::PosixLock p;
  p.type = l->l_type == F_RDLCK ? meta::kLockRead
           : l->l_type == F_WRLCK ? meta::kLockWrite
                                  : meta::kLockUnlock;
  p.pid = uint32_t(l->l_pid);
  p.start = uint64_t(l->l_start);
  p.end = l->l_len == 0 ? UINT64_MAX : uint64_t(l->l_start + l->l_len - 1);
  return p;
}

void OpGetlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) noexcept {
  OpTimer t(req, kGetlk);
  auto r = V(req)->GetLk(Ctx(req), ino, fi->lock_owner, ToLock(lock));
  if (!r) return ReplyErr(req, "getlk", r.error());
  struct flock out = *lock;
  out.l_type = r->type == meta::kLockRead ? F_RDLCK : r->type == meta::kLockWrite ? F_WRLCK : F_UNLCK;
  if (r->type != meta::kLockUnlock) {
    out.l_start = off_t(r->start);
    out.l_len = r->end == UINT64_MAX ? 0 : off_t(r->end - r->start + 1);
    out.l_pid = pid_t(r->pid);
  }
  fuse_reply_lock(req, &out);
}

// A blocking lock request the kernel may interrupt (the waiting process got a signal): the
// Interrupt lives on this stack until the request is answered, and is unregistered first, so
// libfuse (which calls the function under the request's lock) never touches it afterwards.
class InterruptScope {
 public:
  explicit InterruptScope(fuse_req_t req) : req_(req) {
    fuse_req_interrupt_func(req_, [](fuse_req_t, void* d) { static_cast<Interrupt*>(d)->Raise(); },
                            &interrupt_);
  }
  ~InterruptScope() { fuse_req_interrupt_func(req_, nullptr, nullptr); }
  const Interrupt* get() const { return &interrupt_; }

 private:
  fuse_req_t req_;
  Interrupt interrupt_;
};

void OpSetlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock,
             int sleep) noexcept {
  OpTimer t(req, kSetlk);
  meta::PosixLock l = ToLock(lock);
  if (l.pid == 0) l.pid = fuse_req_ctx(req)->pid;
  Status s;
  {
    InterruptScope intr(req);
    meta::Context ctx = Ctx(req);
    ctx.interrupt = intr.get();
    s = V(req)->SetLk(ctx, ino, fi->lock_owner, l, sleep != 0);
  }
  ReplyStatus(req, "setlk", s);
}

void OpFlock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op) noexcept {
  OpTimer t(req, kFlock);
  Status s;
  {
    InterruptScope intr(req);
    meta::Context ctx = Ctx(req);
    ctx.interrupt = intr.get();
    s = V(req)->Flock(ctx, ino, fi->lock_owner, op);
  }
  ReplyStatus(req, "flock", s);
}

void OpFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 fuse_file_info* fi) noexcept {
  OpTimer t(req, kFallocate);
  if (offset < 0 || length <= 0) return (void)fuse_reply_err(req, EINVAL);
  ReplyStatus(req, "fallocate",
              V(req)->Fallocate(Ctx(req), ino, fi->fh, mode, uint64_t(offset), uint64_t(length)));
}

void OpCopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                     fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                     int flags) noexcept {
  OpTimer t(req, kCopyFileRange);
  auto r = V(req)->CopyFileRange(Ctx(req), ino_in, fi_in->fh, uint64_t(off_in), ino_out,
                                 fi_out->fh, uint64_t(off_out), len, flags);
  if (!r) return ReplyErr(req, "copy_file_range", r.error());
  fuse_reply_write(req, *r);
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.readlink = OpReadlink;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.symlink = OpSymlink;
  ops.rename = OpRename;
  ops.link = OpLink;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.flush = OpFlush;
  ops.release = OpRelease;
  ops.fsync = OpFsync;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.releasedir = OpReleasedir;
  ops.fsyncdir = OpFsyncdir;
  ops.statfs = OpStatfs;
  ops.setxattr = OpSetxattr;
  ops.getxattr = OpGetxattr;
  ops.listxattr = OpListxattr;
  ops.removexattr = OpRemovexattr;
  ops.access = OpAccess;
  ops.create = OpCreate;
  ops.getlk = OpGetlk;
  ops.setlk = OpSetlk;
  ops.flock = OpFlock;
  ops.fallocate = OpFallocate;
  ops.copy_file_range = OpCopyFileRange;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& LowLevelOps() {
  static const fuse_lowlevel_ops ops = MakeOps();
  return ops;
}

}  // namespace tierfs::fuse
