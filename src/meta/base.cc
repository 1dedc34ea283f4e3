#include "meta/base.h"

#include <fcntl.h>

#include <chrono>
#include <ctime>

#include "meta/perm.h"

namespace tierfs::meta {
namespace {

void Now(int64_t& s, uint32_t& ns) {
  auto t = std::chrono::system_clock::now().time_since_epoch();
  auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
  s = total / 1000000000;
  ns = static_cast<uint32_t>(total % 1000000000);
}

int64_t NowSec() {
  int64_t s; uint32_t ns;
  Now(s, ns);
  return s;
}

Status CheckName(std::string_view name) {
  if (name.empty()) return Status(ENOENT, "empty name");
  if (name.size() > kMaxNameLen) return Status(ENAMETOOLONG, "name longer than 255 bytes");
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Status(EINVAL, "name contains '/' or NUL");
  }
  return Status();
}

Attr NewDirAttr(uint16_t mode, Ino parent) {
  Attr a;
  a.type = FileType::kDirectory;
  a.mode = mode;
  a.nlink = 2;
  a.length = 4096;
  a.parent = parent;
  Now(a.mtime, a.mtimensec);
  a.atime = a.ctime = a.mtime;
  a.atimensec = a.ctimensec = a.mtimensec;
  a.full = true;
  return a;
}

}  // namespace

BaseMeta::BaseMeta(std::unique_ptr<Engine> engine, const IdPoolOptions& ids)
    : engine_(std::move(engine)),
      inode_ids_("inode", ids.inode_batch, ids.inode_low_watermark, kRootIno + 1,
                 [e = engine_.get()](int64_t d) { return e->IncrCounter("nextInode", d); }),
      slice_ids_("slice", ids.chunk_batch, ids.chunk_low_watermark, 1,
                 [e = engine_.get()](int64_t d) { return e->IncrCounter("nextChunk", d); }) {}

BaseMeta::~BaseMeta() { (void)CloseSession(); }

void BaseMeta::SetFormatLocked(const Format& f) {
  format_ = f;
  capacity_ = f.capacity;
  inode_quota_ = f.inodes;
  trash_days_ = f.trash_days;
}

Format BaseMeta::CurrentFormat() {
  std::lock_guard lk(mu_);
  return format_;
}

Status BaseMeta::Init(const Format& format, bool force) {
  OpScope op(metrics_, "Init");
  if (!ValidVolumeName(format.name)) return Status(EINVAL, "invalid volume name '" + format.name + "'");
  std::optional<Attr> trash;
  if (format.trash_days > 0) trash = NewDirAttr(0555, kRootIno);
  RETURN_IF_ERROR(engine_->DoInit(format.ToJson(), NewDirAttr(0777, kRootIno), trash, force));
  std::lock_guard lk(mu_);
  SetFormatLocked(format);
  loaded_ = true;
  return Status();
}

Result<Format> BaseMeta::Load() {
  OpScope op(metrics_, "Load");
  ASSIGN_OR_RETURN(auto text, engine_->LoadSetting());
  if (!text) return Err(ENOENT, Name() + ": database holds no volume (run format first)");
  ASSIGN_OR_RETURN(Format f, Format::FromJson(*text));
  RETURN_IF_ERROR(f.CheckVersion());
  std::lock_guard lk(mu_);
  SetFormatLocked(f);
  loaded_ = true;
  return f;
}

Status BaseMeta::CheckSupported() {
  std::string feature = CurrentFormat().UnsupportedFeature();
  if (feature.empty()) {
    ASSIGN_OR_RETURN(bool quotas, engine_->HasDirQuotas());
    if (quotas) feature = "directory quotas (juicefs quota)";
  }
  if (feature.empty()) return Status();
  return Status(EOPNOTSUPP, "the volume uses " + feature + ", which tierfs does not support yet");
}

Status BaseMeta::CheckQuota(int64_t space, int64_t inodes) {
  const uint64_t capacity = capacity_, quota = inode_quota_;
  if (capacity && space > 0) {
    ASSIGN_OR_RETURN(int64_t used, engine_->GetCounter("usedSpace"));
    if (uint64_t(used + space) > capacity) return Status(ENOSPC, "volume capacity exceeded");
  }
  if (quota && inodes > 0) {
    ASSIGN_OR_RETURN(int64_t used, engine_->GetCounter("totalInodes"));
    if (uint64_t(used + inodes) > quota) return Status(ENOSPC, "volume inode quota exceeded");
  }
  return Status();
}

Result<Ino> BaseMeta::NextInode() { return inode_ids_.Next(); }

Result<uint64_t> BaseMeta::NewSlice() {
  OpScope op(metrics_, "NewSlice");
  return slice_ids_.Next();
}

bool BaseMeta::IsOpen(Ino ino) {
  // Called inside engine transactions; mu_ is not held by callers of the engine.
  std::lock_guard lk(mu_);
  return open_.count(ino) > 0;
}

Result<std::optional<TrashTarget>> BaseMeta::TrashFor(Ino parent, bool skip) {
  if (skip || trash_days_ <= 0 || IsTrash(parent)) return std::optional<TrashTarget>();
  Context root = Context::Root();
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char hour[32];
  std::strftime(hour, sizeof(hour), "%Y-%m-%d-%H", &tm);
  {
    std::lock_guard lk(mu_);
    if (trash_hour_ == hour) return std::optional<TrashTarget>(TrashTarget{trash_hour_ino_});
  }
  auto dir = engine_->DoLookup(root, kTrashIno, hour);
  if (!dir && dir.error().code() == ENOENT) {
    ASSIGN_OR_RETURN(int64_t n, engine_->IncrCounter("nextTrash", 1));
    Attr a = NewDirAttr(0555, kTrashIno);
    auto made = engine_->DoMknod(root, kTrashIno, hour, kTrashIno + uint64_t(n), a, {});
    if (!made && made.error().code() != EEXIST) return Err(made.error());
    dir = made ? made : engine_->DoLookup(root, kTrashIno, hour);
  }
  if (!dir) return Err(dir.error());
  std::lock_guard lk(mu_);
  trash_hour_ = hour;
  trash_hour_ino_ = dir->ino;
  return std::optional<TrashTarget>(TrashTarget{dir->ino});
}

Result<Entry> BaseMeta::Lookup(const Context& ctx, Ino parent, std::string_view name) {
  OpScope op(metrics_, "Lookup");
  if (name.size() > kMaxNameLen) return Err(ENAMETOOLONG, "name longer than 255 bytes");
  if (name == "." || name == "..") {
    ASSIGN_OR_RETURN(Attr p, GetAttr(ctx, parent));
    if (p.type != FileType::kDirectory) return Err(ENOTDIR, "not a directory");
    RETURN_IF_ERROR(Access(ctx, p, kMaskExec));
    Ino ino = parent;
    if (name == ".." && parent != kRootIno) ino = p.parent ? p.parent : kRootIno;
    ASSIGN_OR_RETURN(Attr a, GetAttr(ctx, ino));
    return Entry{std::string(name), ino, a};
  }
  return engine_->DoLookup(ctx, parent, name);
}

Result<Attr> BaseMeta::GetAttr(const Context& ctx, Ino ino) {
  OpScope op(metrics_, "GetAttr");
  auto r = engine_->GetAttrs(std::span<const Ino>(&ino, 1));
  return std::move(r.front());
}

std::vector<Result<Attr>> BaseMeta::GetAttrs(std::span<const Ino> inos) {
  OpScope op(metrics_, "GetAttrs");
  return engine_->GetAttrs(inos);
}

Result<Attr> BaseMeta::SetAttr(const Context& ctx, Ino ino, uint32_t mask, const Attr& in) {
  OpScope op(metrics_, "SetAttr");
  return engine_->DoSetAttr(ino, [&](const Attr& cur) -> Result<Attr> {
    int64_t s; uint32_t ns;
    Now(s, ns);
    return ApplySetAttr(ctx, cur, mask, in, s, ns);
  });
}

Result<Entry> BaseMeta::Mknod(const Context& ctx, Ino parent, std::string_view name,
                              FileType type, uint16_t mode, uint16_t cumask, uint32_t rdev,
                              std::string_view target) {
  OpScope op(metrics_, "Mknod");
  RETURN_IF_ERROR(CheckName(name));
  if (name == "." || name == "..") return Err(EEXIST, "'" + std::string(name) + "' exists");
  if (type == FileType{} || static_cast<int>(type) > 7) return Err(EINVAL, "bad file type");
  if (type == FileType::kSymlink && (target.empty() || target.size() > kMaxSymlinkLen)) {
    return Err(target.empty() ? ENOENT : ENAMETOOLONG, "bad symlink target length");
  }
  RETURN_IF_ERROR(CheckQuota(4096, 1));
  ASSIGN_OR_RETURN(Ino ino, NextInode());
  Attr a;
  a.type = type;
  a.mode = mode & ~cumask & 07777;
  a.rdev = rdev;
  a.nlink = type == FileType::kDirectory ? 2 : 1;
  a.length = type == FileType::kDirectory ? 4096 : (type == FileType::kSymlink ? target.size() : 0);
  return engine_->DoMknod(ctx, parent, name, ino, a, target);
}

Status BaseMeta::Unlink(const Context& ctx, Ino parent, std::string_view name, bool skip_trash) {
  OpScope op(metrics_, "Unlink");
  RETURN_IF_ERROR(CheckName(name));
  if (name == "." || name == "..") return Status(EISDIR, "cannot unlink '" + std::string(name) + "'");
  ASSIGN_OR_RETURN(auto trash, TrashFor(parent, skip_trash));
  ASSIGN_OR_RETURN(Removed r, engine_->DoUnlink(ctx, parent, name, trash, sid_,
                                                [this](Ino i) { return IsOpen(i); }));
  NoteRemoved(r);
  return Status();
}

Status BaseMeta::Rmdir(const Context& ctx, Ino parent, std::string_view name, bool skip_trash) {
  OpScope op(metrics_, "Rmdir");
  RETURN_IF_ERROR(CheckName(name));
  if (name == ".") return Status(EINVAL, "cannot rmdir '.'");
  if (name == "..") return Status(ENOTEMPTY, "cannot rmdir '..'");
  ASSIGN_OR_RETURN(auto trash, TrashFor(parent, skip_trash));
  return engine_->DoRmdir(ctx, parent, name, trash);
}

Result<Entry> BaseMeta::Rename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                               std::string_view ndst, uint32_t flags) {
  OpScope op(metrics_, "Rename");
  RETURN_IF_ERROR(CheckName(nsrc));
  RETURN_IF_ERROR(CheckName(ndst));
  if (flags & ~(kRenameNoReplace | kRenameExchange)) return Err(EINVAL, "unknown rename flags");
  if ((flags & kRenameNoReplace) && (flags & kRenameExchange)) {
    return Err(EINVAL, "RENAME_NOREPLACE with RENAME_EXCHANGE");
  }
  for (auto n : {nsrc, ndst}) {
    if (n == "." || n == "..") return Err(EBUSY, "cannot rename '.' or '..'");
  }
  ASSIGN_OR_RETURN(auto trash, TrashFor(pdst, (flags & kRenameExchange) != 0));
  std::optional<Removed> removed;
  ASSIGN_OR_RETURN(Entry e, engine_->DoRename(ctx, psrc, nsrc, pdst, ndst, flags, trash, sid_,
                                              [this](Ino i) { return IsOpen(i); }, removed));
  if (removed) NoteRemoved(*removed);
  return e;
}

Result<Attr> BaseMeta::Link(const Context& ctx, Ino ino, Ino parent, std::string_view name) {
  OpScope op(metrics_, "Link");
  RETURN_IF_ERROR(CheckName(name));
  if (name == "." || name == "..") return Err(EEXIST, "'" + std::string(name) + "' exists");
  return engine_->DoLink(ctx, ino, parent, name);
}

Result<std::string> BaseMeta::ReadLink(const Context& ctx, Ino ino) {
  OpScope op(metrics_, "ReadLink");
  return engine_->DoReadlink(ino);
}

Result<std::vector<Entry>> BaseMeta::Readdir(const Context& ctx, Ino ino, bool plus) {
  OpScope op(metrics_, "Readdir");
  ASSIGN_OR_RETURN(auto children, engine_->DoReaddir(ctx, ino, plus));
  ASSIGN_OR_RETURN(Attr self, GetAttr(ctx, ino));
  Ino parent = (ino == kRootIno || self.parent == 0) ? kRootIno : self.parent;
  std::vector<Entry> out;
  out.reserve(children.size() + 2);
  out.push_back(Entry{".", ino, self});
  Entry dotdot{"..", parent, Attr{}};
  dotdot.attr.type = FileType::kDirectory;
  if (plus) {
    ASSIGN_OR_RETURN(dotdot.attr, GetAttr(ctx, parent));
  }
  out.push_back(std::move(dotdot));
  for (auto& c : children) out.push_back(std::move(c));
  return out;
}

Result<Attr> BaseMeta::Open(const Context& ctx, Ino ino, uint32_t flags) {
  OpScope op(metrics_, "Open");
  ASSIGN_OR_RETURN(Attr a, engine_->GetFreshAttr(ino));
  int mask = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: mask = kMaskRead; break;
    case O_WRONLY: mask = kMaskWrite; break;
    default: mask = kMaskRead | kMaskWrite;
  }
  if (flags & O_TRUNC) mask |= kMaskWrite;
  RETURN_IF_ERROR(Access(ctx, a, mask));
  if (mask & kMaskWrite) {
    if (a.flags & kFlagImmutable) return Err(EPERM, "file is immutable");
    if ((a.flags & kFlagAppend) && (!(flags & O_APPEND) || (flags & O_TRUNC))) {
      return Err(EPERM, "file is append-only");
    }
  }
  std::lock_guard lk(mu_);
  open_[ino]++;
  return a;
}

void BaseMeta::NoteRemoved(const Removed& r) {
  if (r.freed) QueueDelete(r.ino);
  if (!r.sustained) return;
  uint64_t sid;
  {
    std::lock_guard lk(mu_);
    // The removal saw the inode open, but its last close (FUSE RELEASE comes after close(2)
    // returned, concurrently with the unlink) may have run since, before this insert: then no
    // Close will release it, so release it here. Close and this check both hold mu_.
    if (open_.contains(r.ino)) {
      sustained_.insert(r.ino);
      return;
    }
    sid = sid_;
  }
  auto freed = engine_->DoReleaseSustained(sid, r.ino);
  if (freed && *freed) QueueDelete(r.ino);
}

Status BaseMeta::Close(const Context& ctx, Ino ino) {
  OpScope op(metrics_, "Close");
  uint64_t sid;
  {
    std::lock_guard lk(mu_);
    auto it = open_.find(ino);
    if (it == open_.end()) return Status(EBADF, "inode " + std::to_string(ino) + " is not open");
    if (--it->second > 0) return Status();
    open_.erase(it);
    // Only an inode this session sustained has a jfs_sustained row to release: every other
    // last close costs no transaction.
    if (sustained_.erase(ino) == 0) return Status();
    sid = sid_;
  }
  ASSIGN_OR_RETURN(bool freed, engine_->DoReleaseSustained(sid, ino));
  if (freed) QueueDelete(ino);
  return Status();
}

Result<std::vector<Slice>> BaseMeta::Read(Ino ino, uint32_t indx) {
  OpScope op(metrics_, "Read");
  ASSIGN_OR_RETURN(std::string raw, engine_->DoReadChunk(ino, indx));
  return DecodeSlices(raw);
}

}  // namespace tierfs::meta
