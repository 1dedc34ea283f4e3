// Vfs construction, attributes and namespace operations.
#include "vfs/vfs.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "util/thread_pool.h"
#include "vfs/compactor.h"
#include "vfs/inode_state.h"

namespace tierfs::vfs {

Vfs::Vfs(meta::Meta* meta, chunk::ChunkStore* store, metrics::Registry* registry,
         VfsConfig config)
    : meta_(meta), store_(store), registry_(registry), config_(std::move(config)) {
  commit_pool_ = std::make_unique<ThreadPool>(config_.commit_threads, 4096);
  compactor_ = std::make_unique<Compactor>(
      meta_, store_, uint32_t(config_.format.BlockSizeBytes()), config_.compact_threads,
      [this](meta::Ino ino, uint32_t indx) { InvalidateChunk(ino, indx); });
  if (registry_) {
    open_handles_ = registry_->GetGauge("tierfs_fuse_open_handlers", "open file handles");
  }
  flusher_ = std::thread([this] { FlusherLoop(); });
}

Vfs::~Vfs() { Shutdown(); }

meta::MetaCallbacks Vfs::Callbacks() {
  meta::MetaCallbacks cb;
  cb.delete_slice = [store = store_](uint64_t id, uint32_t size) { return store->Remove(id, size); };
  cb.compact_chunk = [c = compactor_.get()](meta::Ino ino, uint32_t indx) { c->Request(ino, indx); };
  cb.invalidate_inode = [this](meta::Ino ino) {
    std::shared_ptr<const Notifier> n;
    {
      std::lock_guard lk(notifier_mu_);
      n = notifier_;
    }
    if (n && n->inode) n->inode(ino);
  };
  cb.invalidate_entry = [this](meta::Ino parent, const std::string& name) {
    std::shared_ptr<const Notifier> n;
    {
      std::lock_guard lk(notifier_mu_);
      n = notifier_;
    }
    if (n && n->entry) n->entry(parent, name);
  };
  return cb;
}

void Vfs::SetNotifier(Notifier n) {
  auto next = std::make_shared<const Notifier>(std::move(n));
  std::lock_guard lk(notifier_mu_);
  notifier_ = std::move(next);
}

void Vfs::Shutdown() {
  std::vector<meta::Ino> inos;
  {
    std::lock_guard lk(inodes_mu_);
    for (auto& [ino, st] : inodes_) inos.push_back(ino);
  }
  for (meta::Ino ino : inos) {
    if (Status s = FlushInode(ino); !s.ok())
      spdlog::error("inode {}: data written before unmount could not be committed: {}", ino,
                    s.ToString());
  }
  {
    std::lock_guard lk(flusher_mu_);
    flusher_stop_ = true;
  }
  flusher_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (compactor_) compactor_->Stop();
}

// Every attribute reply (lookup, getattr, setattr, link, create, readdirplus) is built here: the
// kernel takes it as the inode's attributes, so a file with writes of this mount not committed
// yet must show their length (the model test found listings, chmod and link replies shrinking a
// file being written to its committed length).
void Vfs::FillStat(meta::Ino ino, const meta::Attr& attr, struct stat* st) {
  meta::Attr a = attr;
  if (a.type == meta::FileType::kFile) AddPendingLength(ino, a);
  *st = {};
  st->st_ino = ino;
  st->st_mode = a.StatMode();
  st->st_nlink = a.nlink;
  st->st_uid = a.uid;
  st->st_gid = a.gid;
  st->st_rdev = a.rdev;
  st->st_size = off_t(a.length);
  // du counts 4 KiB-aligned usage, as the volume's usedSpace does.
  st->st_blocks = blkcnt_t((a.length + 4095) / 4096 * 8);
  st->st_blksize = 1 << 16;  // large I/O hint: cp and tar use buffers this big
  st->st_atim = {a.atime, long(a.atimensec)};
  st->st_mtim = {a.mtime, long(a.mtimensec)};
  st->st_ctim = {a.ctime, long(a.ctimensec)};
}

EntryOut Vfs::MakeEntry(meta::Ino ino, const meta::Attr& attr) {
  EntryOut e;
  e.ino = ino;
  FillStat(ino, attr, &e.attr);
  e.attr_timeout = config_.attr_timeout;
  e.entry_timeout = attr.type == meta::FileType::kDirectory ? config_.dir_entry_timeout
                                                             : config_.entry_timeout;
  return e;
}

std::shared_ptr<InodeState> Vfs::Inode(meta::Ino ino, bool create) {
  std::lock_guard lk(inodes_mu_);
  auto it = inodes_.find(ino);
  if (it != inodes_.end()) return it->second;
  if (!create) return nullptr;
  auto st = std::make_shared<InodeState>();
  inodes_.emplace(ino, st);
  return st;
}

void Vfs::InvalidateChunks(meta::Ino ino) {
  if (auto st = Inode(ino, false)) {
    std::lock_guard lk(st->mu);
    st->Invalidate();
  }
}

void Vfs::SawAttr(meta::Ino ino, const meta::Attr& a) {
  if (a.type != meta::FileType::kFile) return;
  if (auto st = Inode(ino, false)) {
    std::lock_guard lk(st->mu);
    st->Saw(a);
  }
}

std::shared_ptr<InodeState> Vfs::AcquireInode(meta::Ino ino) {
  std::lock_guard lk(inodes_mu_);
  auto& st = inodes_[ino];
  if (!st) st = std::make_shared<InodeState>();
  if (st->opens++ == 0) {
    // Close-to-open: the first open re-reads slice lists; later ones share what is cached.
    std::lock_guard slk(st->mu);
    st->Invalidate();
  }
  return st;
}

void Vfs::ReleaseInode(meta::Ino ino, const std::shared_ptr<InodeState>& st) {
  std::lock_guard lk(inodes_mu_);
  if (--st->opens > 0) return;
  // Keep a writer that still has something to commit reachable for FlushInode/Shutdown.
  if (st->writer && st->writer->Dirty()) return;
  auto it = inodes_.find(ino);
  if (it != inodes_.end() && it->second == st) inodes_.erase(it);
}

// Commits everything written to the inode so far. Every caller gets the writer's sticky error,
// not only the first one to flush. Each commit is laid over the cached slice list of its chunk
// before Flush returns (the writer's on_commit hook), so any flusher's next read sees it.
Status Vfs::FlushState(InodeState& st) {
  FileWriter* w;
  {
    std::lock_guard lk(st.mu);
    w = st.writer.get();
  }
  return w == nullptr ? Status::Ok() : w->Flush();
}

void Vfs::InvalidateChunk(meta::Ino ino, uint32_t indx) {
  if (auto st = Inode(ino, false)) {
    std::lock_guard lk(st->mu);
    st->InvalidateChunk(indx);
  }
}

// Memory pressure: every write buffer is in a slice being filled, so waiting for uploads cannot
// free any. Commit them all (their partial blocks upload and leave the budget).
void Vfs::RelieveBufferPressure() {
  std::vector<std::shared_ptr<InodeState>> states;
  {
    std::lock_guard lk(inodes_mu_);
    for (auto& [ino, st] : inodes_) states.push_back(st);
  }
  for (auto& st : states) {
    std::lock_guard lk(st->mu);
    if (st->writer) st->writer->FreezeAllNow();
  }
}

FileWriter* Vfs::WriterOf(InodeState& st, meta::Ino ino) {
  std::lock_guard lk(st.mu);
  if (!st.writer) {
    FileWriter::Hooks hooks;
    hooks.on_commit = [s = &st](uint32_t indx, const meta::Slice& slice, uint64_t end) {
      std::lock_guard l(s->mu);
      s->Committed(indx, slice, end);
    };
    hooks.on_pressure = [this] { RelieveBufferPressure(); };
    uint64_t stage_limit = 0;  // no write-back
    if (store_->WritesBack()) {
      stage_limit = config_.writeback_max_size == 0 ? UINT64_MAX : config_.writeback_max_size;
    }
    st.writer = std::make_unique<FileWriter>(ino, meta_, store_,
                                             uint32_t(config_.format.BlockSizeBytes()),
                                             commit_pool_.get(), std::move(hooks), stage_limit);
  }
  return st.writer.get();
}

Status Vfs::FlushInode(meta::Ino ino) {
  auto st = Inode(ino, false);
  return st ? FlushState(*st) : Status::Ok();
}

void Vfs::FlusherLoop() {
  std::unique_lock lk(flusher_mu_);
  while (!flusher_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return flusher_stop_; })) {
    lk.unlock();
    std::vector<std::shared_ptr<InodeState>> states;
    {
      std::lock_guard ilk(inodes_mu_);
      for (auto& [ino, st] : inodes_) states.push_back(st);
    }
    auto cutoff = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    for (auto& st : states) {
      std::lock_guard slk(st->mu);
      if (st->writer) st->writer->FreezeIdle(cutoff);
    }
    lk.lock();
  }
}

// Writes of this mount not yet committed may have grown the file: report that length.
void Vfs::AddPendingLength(meta::Ino ino, meta::Attr& attr) {
  auto st = Inode(ino, false);
  if (!st) return;
  std::lock_guard lk(st->mu);
  if (st->writer && st->writer->Dirty()) attr.length = std::max(attr.length, st->writer->Length());
}

Result<EntryOut> Vfs::Lookup(const meta::Context& ctx, meta::Ino parent, std::string_view name) {
  if (parent == meta::kRootIno) {
    if (name == ".stats") return MakeEntry(kStatsIno, *InternalAttr(kStatsIno));
    if (name == ".config") return MakeEntry(kConfigIno, *InternalAttr(kConfigIno));
    if (name == ".control") return MakeEntry(kControlIno, *InternalAttr(kControlIno));
    if (name == ".trash") {
      ASSIGN_OR_RETURN(meta::Attr a, meta_->GetAttr(ctx, meta::kTrashIno));
      return MakeEntry(meta::kTrashIno, a);
    }
  }
  ASSIGN_OR_RETURN(meta::Entry e, meta_->Lookup(ctx, parent, name));
  return MakeEntry(e.ino, e.attr);
}

// A directory still open here after its rmdir: its last attributes with no links, as Linux
// reports it; any other inode meta no longer has stays ENOENT (`gone`).
Result<meta::Attr> Vfs::RemovedDirAttr(meta::Ino ino, Status gone) {
  auto st = Inode(ino, false);
  if (!st) return Err(std::move(gone));
  std::lock_guard lk(st->mu);
  if (!st->dir_attr) return Err(std::move(gone));
  meta::Attr a = *st->dir_attr;
  a.nlink = 0;
  return a;
}

Result<AttrOut> Vfs::GetAttr(const meta::Context& ctx, meta::Ino ino) {
  meta::Attr a;
  if (IsInternal(ino)) {
    ASSIGN_OR_RETURN(a, InternalAttr(ino));
  } else {
    auto got = meta_->GetAttr(ctx, ino);
    if (!got && got.error().code() == ENOENT) got = RemovedDirAttr(ino, std::move(got.error()));
    if (!got) return Err(std::move(got.error()));
    a = *got;
    SawAttr(ino, a);
  }
  AttrOut out;
  FillStat(ino, a, &out.attr);
  out.attr_timeout = config_.attr_timeout;
  return out;
}

Result<AttrOut> Vfs::SetAttr(const meta::Context& ctx, meta::Ino ino, int to_set,
                             const struct stat& in, uint64_t fh) {
  if (IsInternal(ino)) return Err(EPERM, "internal file");
  meta::Attr a;
  bool have = false;
  if (to_set & kSetSize) {
    RETURN_IF_ERROR(FlushInode(ino));
    // An open handle already passed the write check at open (ftruncate on O_WRONLY).
    ASSIGN_OR_RETURN(a, meta_->Truncate(ctx, ino, uint64_t(in.st_size), fh != 0));
    InvalidateChunks(ino);
    have = true;
  }
  uint32_t mask = 0;
  meta::Attr want;
  if (to_set & kSetMode) mask |= meta::kSetAttrMode, want.mode = uint16_t(in.st_mode & 07777);
  if (to_set & kSetUid) mask |= meta::kSetAttrUid, want.uid = in.st_uid;
  if (to_set & kSetGid) mask |= meta::kSetAttrGid, want.gid = in.st_gid;
  if (to_set & kSetAtime) {
    mask |= meta::kSetAttrAtime;
    want.atime = in.st_atim.tv_sec;
    want.atimensec = uint32_t(in.st_atim.tv_nsec);
  }
  if (to_set & kSetMtime) {
    mask |= meta::kSetAttrMtime;
    want.mtime = in.st_mtim.tv_sec;
    want.mtimensec = uint32_t(in.st_mtim.tv_nsec);
  }
  if (to_set & kSetAtimeNow) mask |= meta::kSetAttrAtimeNow;
  if (to_set & kSetMtimeNow) mask |= meta::kSetAttrMtimeNow;
  if (to_set & kSetCtime) mask |= meta::kSetAttrCtime;
  if (mask != 0) {
    if (mask & (meta::kSetAttrMtime | meta::kSetAttrMtimeNow)) RETURN_IF_ERROR(FlushInode(ino));
    ASSIGN_OR_RETURN(a, meta_->SetAttr(ctx, ino, mask, want));
    have = true;
  }
  if (!have) return GetAttr(ctx, ino);
  AttrOut out;
  FillStat(ino, a, &out.attr);
  out.attr_timeout = config_.attr_timeout;
  return out;
}

Result<EntryOut> Vfs::Mknod(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                            uint32_t mode, uint32_t rdev) {
  meta::FileType type = meta::StatModeToType(mode & S_IFMT);
  if (mode & S_IFMT) {
    if (type == meta::FileType{} || type == meta::FileType::kDirectory ||
        type == meta::FileType::kSymlink)
      return Err(EINVAL, "mknod of an unsupported type");
  } else {
    type = meta::FileType::kFile;
  }
  ASSIGN_OR_RETURN(meta::Entry e, meta_->Mknod(ctx, parent, name, type, uint16_t(mode & 07777),
                                               ctx.umask, rdev));
  return MakeEntry(e.ino, e.attr);
}

Result<EntryOut> Vfs::Mkdir(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                            uint32_t mode) {
  ASSIGN_OR_RETURN(meta::Entry e, meta_->Mknod(ctx, parent, name, meta::FileType::kDirectory,
                                               uint16_t(mode & 07777), ctx.umask, 0));
  return MakeEntry(e.ino, e.attr);
}

Result<EntryOut> Vfs::Symlink(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                              std::string_view target) {
  if (target.empty() || target.size() > meta::kMaxSymlinkLen)
    return Err(target.empty() ? ENOENT : ENAMETOOLONG, "symlink target length");
  ASSIGN_OR_RETURN(meta::Entry e, meta_->Mknod(ctx, parent, name, meta::FileType::kSymlink, 0777,
                                               0, 0, target));
  return MakeEntry(e.ino, e.attr);
}

Result<std::string> Vfs::ReadLink(const meta::Context& ctx, meta::Ino ino) {
  return meta_->ReadLink(ctx, ino);
}

Status Vfs::Unlink(const meta::Context& ctx, meta::Ino parent, std::string_view name) {
  if (parent == meta::kRootIno && (name == ".stats" || name == ".config" || name == ".trash"))
    return Status(EPERM, "internal file");
  return meta_->Unlink(ctx, parent, name);
}

Status Vfs::Rmdir(const meta::Context& ctx, meta::Ino parent, std::string_view name) {
  if (parent == meta::kRootIno && name == ".trash") return Status(EPERM, "trash");
  return meta_->Rmdir(ctx, parent, name);
}

Status Vfs::Rename(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                   meta::Ino new_parent, std::string_view new_name, uint32_t flags) {
  auto r = meta_->Rename(ctx, parent, name, new_parent, new_name, flags);
  if (!r) return r.error();
  return Status::Ok();
}

Result<EntryOut> Vfs::Link(const meta::Context& ctx, meta::Ino ino, meta::Ino new_parent,
                           std::string_view new_name) {
  if (IsInternal(ino)) return Err(EPERM, "internal file");
  ASSIGN_OR_RETURN(meta::Attr a, meta_->Link(ctx, ino, new_parent, new_name));
  return MakeEntry(ino, a);
}

Result<struct statvfs> Vfs::StatFs(const meta::Context& ctx, meta::Ino ino) {
  ASSIGN_OR_RETURN(meta::StatFs s, meta_->StatFS(ctx, ino));
  struct statvfs st {};
  st.f_bsize = 4096;
  st.f_frsize = 4096;
  st.f_blocks = s.total_space / 4096;
  st.f_bfree = s.avail_space / 4096;
  st.f_bavail = st.f_bfree;
  st.f_files = s.used_inodes + s.avail_inodes;
  st.f_ffree = s.avail_inodes;
  st.f_favail = s.avail_inodes;
  st.f_namemax = meta::kMaxNameLen;
  return st;
}

Result<std::string> Vfs::GetXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name) {
  if (IsInternal(ino)) return Err(ENODATA);
  return meta_->GetXattr(ctx, ino, name);
}

Status Vfs::SetXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name,
                     std::string_view value, int flags) {
  if (IsInternal(ino)) return Status(EPERM, "internal file");
  if (name.empty() || name.size() > 255) return Status(ERANGE, "xattr name length");
  if (value.size() > 65536) return Status(E2BIG, "xattr value larger than 64 KiB");
  return meta_->SetXattr(ctx, ino, name, value, uint32_t(flags));
}

Result<std::vector<std::string>> Vfs::ListXattr(const meta::Context& ctx, meta::Ino ino) {
  if (IsInternal(ino)) return std::vector<std::string>{};
  return meta_->ListXattr(ctx, ino);
}

Status Vfs::RemoveXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name) {
  if (IsInternal(ino)) return Status(EPERM, "internal file");
  return meta_->RemoveXattr(ctx, ino, name);
}

// The kernel checks access(2) itself (mounted with default_permissions); this answers only
// whether the inode exists.
Status Vfs::Access(const meta::Context& ctx, meta::Ino ino, int mask) {
  if (IsInternal(ino)) return Status::Ok();
  auto a = meta_->GetAttr(ctx, ino);
  return a ? Status::Ok() : a.error();
}

Status Vfs::Flock(const meta::Context& ctx, meta::Ino ino, uint64_t owner, int op) {
  uint32_t type = meta::kLockUnlock;
  if (op & LOCK_SH) type = meta::kLockRead;
  if (op & LOCK_EX) type = meta::kLockWrite;
  return meta_->Flock(ctx, ino, owner, type, (op & LOCK_NB) == 0);
}

Result<meta::PosixLock> Vfs::GetLk(const meta::Context& ctx, meta::Ino ino, uint64_t owner,
                                   const meta::PosixLock& lock) {
  return meta_->GetLk(ctx, ino, owner, lock);
}

Status Vfs::SetLk(const meta::Context& ctx, meta::Ino ino, uint64_t owner,
                  const meta::PosixLock& lock, bool block) {
  if (lock.type != meta::kLockUnlock) {
    if (auto st = Inode(ino, false)) {
      std::lock_guard lk(st->mu);
      st->plocked = true;
    }
  }
  return meta_->SetLk(ctx, ino, owner, block, lock);
}

}  // namespace tierfs::vfs
