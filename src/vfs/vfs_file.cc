// Vfs file handles: open/create, read, write, flush, release and the data-sharing calls.
#include <fcntl.h>

#include <algorithm>
#include <map>

#include "vfs/compactor.h"
#include "vfs/data_reader.h"
#include "vfs/inode_state.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {

uint64_t Vfs::NewHandle(std::shared_ptr<Handle> h) {
  uint64_t fh = next_fh_.fetch_add(1);
  std::lock_guard lk(handles_mu_);
  handles_.emplace(fh, std::move(h));
  if (open_handles_) open_handles_->Add(1);
  return fh;
}

std::shared_ptr<Handle> Vfs::GetHandle(uint64_t fh) {
  std::lock_guard lk(handles_mu_);
  auto it = handles_.find(fh);
  return it == handles_.end() ? nullptr : it->second;
}

std::shared_ptr<Handle> Vfs::TakeHandle(uint64_t fh) {
  std::lock_guard lk(handles_mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return nullptr;
  auto h = std::move(it->second);
  handles_.erase(it);
  if (open_handles_) open_handles_->Add(-1);
  return h;
}

Result<OpenOut> Vfs::Open(const meta::Context& ctx, meta::Ino ino, int flags) {
  if (IsInternal(ino)) return OpenInternal(ino, flags);
  ASSIGN_OR_RETURN(meta::Attr attr, meta_->Open(ctx, ino, uint32_t(flags)));
  const bool truncate = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
  if (truncate) {
    // The kernel passes O_TRUNC to open (FUSE_CAP_ATOMIC_O_TRUNC); open already checked write.
    Status st = FlushInode(ino);
    if (st.ok()) st = internal::ToStatus(meta_->Truncate(ctx, ino, 0, /*skip_perm_check=*/true));
    if (!st.ok()) {
      (void)meta_->Close(ctx, ino);
      return Err(st);
    }
    InvalidateChunks(ino);
  }
  auto h = std::make_shared<Handle>();
  h->ino = ino;
  h->flags = flags;
  h->inode = AcquireInode(ino);
  OpenOut out;
  // Unchanged since an earlier open here: the kernel's pages are still the file's bytes.
  out.keep_cache = page_cache_.Open(ino, attr) && !truncate;
  if (truncate) page_cache_.Forget(ino);
  {
    // Close-to-open for what this mount read from meta too: another handle may still hold the
    // slice lists of an older version (kept while any handle is open).
    std::lock_guard lk(h->inode->mu);
    if (!out.keep_cache) h->inode->Invalidate();
    h->inode->Saw(attr);
  }
  out.fh = NewHandle(std::move(h));
  return out;
}

Result<std::pair<EntryOut, OpenOut>> Vfs::Create(const meta::Context& ctx, meta::Ino parent,
                                                 std::string_view name, uint32_t mode,
                                                 int flags) {
  ASSIGN_OR_RETURN(meta::Entry e, meta_->Mknod(ctx, parent, name, meta::FileType::kFile,
                                               uint16_t(mode & 07777), ctx.umask, 0));
  // The creator may write even if the new mode forbids it (open(O_CREAT, 0444) works).
  RETURN_IF_ERROR(meta_->Open(meta::Context::Root(), e.ino, uint32_t(flags)));
  auto h = std::make_shared<Handle>();
  h->ino = e.ino;
  h->flags = flags;
  h->inode = AcquireInode(e.ino);
  OpenOut out;
  out.fh = NewHandle(std::move(h));
  return std::make_pair(MakeEntry(e.ino, e.attr), out);
}

Result<std::vector<Piece>> Vfs::ChunkPieces(InodeState& st, meta::Ino ino, uint32_t indx) {
  uint64_t generation;
  {
    std::lock_guard lk(st.mu);
    auto it = st.chunks.find(indx);
    if (it != st.chunks.end()) return it->second;
    generation = st.generation;
  }
  ASSIGN_OR_RETURN(std::vector<meta::Slice> slices, meta_->Read(ino, indx));
  std::vector<Piece> pieces = ResolveSlices(slices);
  // Many overlapping slices make reads slow: compact them (JuiceFS: >= 5 after a read).
  if (slices.size() >= 5 || pieces.size() >= 5) compactor_->Request(ino, indx);
  std::lock_guard lk(st.mu);
  // An invalidation while we read meta means the list may already be stale: use, don't keep.
  if (st.generation == generation) st.chunks[indx] = pieces;
  return pieces;
}

// The committed length of an open file, read from meta once per change (close-to-open: a
// reader sees other clients' writes from its next open, as with JuiceFS).
Result<uint64_t> Vfs::FileLength(InodeState& st, const meta::Context& ctx, meta::Ino ino) {
  uint64_t generation;
  {
    std::lock_guard lk(st.mu);
    if (st.length) return *st.length;
    generation = st.generation;
  }
  ASSIGN_OR_RETURN(meta::Attr attr, meta_->GetAttr(ctx, ino));
  std::lock_guard lk(st.mu);
  if (st.generation == generation) st.length = attr.length;
  return attr.length;
}

Result<size_t> Vfs::Read(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t off,
                         std::span<char> buf) {
  auto h = GetHandle(fh);
  if (!h) return Err(EBADF, "unknown file handle");
  if (h->internal) {
    if (off >= h->content.size()) return 0;
    size_t n = std::min<uint64_t>(buf.size(), h->content.size() - off);
    std::copy_n(h->content.data() + off, n, buf.data());
    return n;
  }
  if ((h->flags & O_ACCMODE) == O_WRONLY) return Err(EBADF, "not open for reading");
  // Reads see this mount's own writes: commit them first (JuiceFS vfs.Read does the same).
  InodeState& st = *h->inode;
  RETURN_IF_ERROR(FlushState(st));
  return ReadCommitted(st, ctx, ino, off, buf);
}

// A missing object is explained only by a compaction (here or on another client) that replaced
// the slice after we read the list: re-read the lists of the chunks this read used and retry
// while they changed; when they did not, the object is lost (EIO), at once.
Result<size_t> Vfs::ReadCommitted(InodeState& st, const meta::Context& ctx, meta::Ino ino,
                                  uint64_t off, std::span<char> buf) {
  constexpr int kMaxRereads = 5;  // each one needs a concurrent compaction to be needed
  std::map<uint32_t, std::vector<Piece>> used;
  PieceSource source = [&](uint32_t indx) -> Result<std::vector<Piece>> {
    ASSIGN_OR_RETURN(auto pieces, ChunkPieces(st, ino, indx));
    used[indx] = pieces;
    return pieces;
  };
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(uint64_t length, FileLength(st, ctx, ino));
    used.clear();
    auto r = ReadFileRange(store_, source, length, off, buf);
    if (r || r.error().code() != ENOENT) return r;
    auto before = used;
    InvalidateChunks(ino);
    bool changed = false;
    for (const auto& [indx, pieces] : before) {
      ASSIGN_OR_RETURN(auto now, ChunkPieces(st, ino, indx));
      changed |= now != pieces;
    }
    if (!changed || attempt == kMaxRereads) {
      return Err(EIO, "inode " + std::to_string(ino) + ": " + r.error().message() +
                          (changed ? " (slice lists keep changing)" : ""));
    }
  }
}

Result<size_t> Vfs::Write(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t off,
                          std::span<const char> data) {
  auto h = GetHandle(fh);
  if (!h) return Err(EBADF, "unknown file handle");
  if (h->internal) {
    if (h->ino != kControlIno) return Err(EACCES, "internal file is read-only");
    // 0600 root's: checked here too, for mounts without default_permissions.
    if (ctx.uid != 0) return Err(EACCES, ".control takes commands from root only");
    h->content = Control(std::string_view(data.data(), data.size()));
    return data.size();
  }
  if ((h->flags & O_ACCMODE) == O_RDONLY) return Err(EBADF, "not open for writing");
  if (off + data.size() > (1ULL << 50)) return Err(EFBIG, "offset too large");
  FileWriter* w = WriterOf(*h->inode, ino);
  // Capacity is checked before the write is accepted, on the growth only: a commit never fails
  // for quota, so a write that returned is never dropped (Meta::CheckGrowth).
  const uint64_t end = off + data.size();
  if (end > w->Length() && meta_->HasCapacity()) {
    ASSIGN_OR_RETURN(uint64_t committed, FileLength(*h->inode, ctx, ino));
    uint64_t known = std::max(committed, w->Length());
    if (end > known) RETURN_IF_ERROR(meta_->CheckGrowth(ino, known, end));
  }
  RETURN_IF_ERROR(w->Write(off, data));
  return data.size();
}

Status Vfs::Flush(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t lock_owner) {
  auto h = GetHandle(fh);
  if (!h) return Status(EBADF, "unknown file handle");
  if (h->internal) return Status::Ok();
  Status s = FlushState(*h->inode);
  bool plocked;
  {
    std::lock_guard lk(h->inode->mu);
    plocked = h->inode->plocked;
  }
  if (plocked) {
    // close(2) drops every POSIX lock the closing owner holds on the file (fcntl(2)).
    meta::PosixLock all{meta::kLockUnlock, ctx.pid, 0, UINT64_MAX};
    Status u = meta_->SetLk(ctx, ino, lock_owner, false, all);
    if (s.ok()) s = u;
  }
  return s;
}

Status Vfs::Fsync(const meta::Context& ctx, meta::Ino ino, uint64_t fh) {
  auto h = GetHandle(fh);
  if (!h) return Status(EBADF, "unknown file handle");
  return h->internal ? Status::Ok() : FlushState(*h->inode);
}

Status Vfs::Release(meta::Ino ino, uint64_t fh) {
  auto h = TakeHandle(fh);
  if (!h) return Status(EBADF, "unknown file handle");
  if (h->internal) return Status::Ok();
  Status s = FlushState(*h->inode);
  ReleaseInode(ino, h->inode);
  Status c = meta_->Close(meta::Context::Root(), ino);
  return s.ok() ? c : s;
}

Status Vfs::Fallocate(const meta::Context& ctx, meta::Ino ino, uint64_t fh, int mode, uint64_t off,
                      uint64_t len) {
  if (IsInternal(ino)) return Status(EPERM, "internal file");
  RETURN_IF_ERROR(FlushInode(ino));
  Status s = meta_->Fallocate(ctx, ino, uint32_t(mode), off, len);
  InvalidateChunks(ino);
  return s;
}

Result<size_t> Vfs::CopyFileRange(const meta::Context& ctx, meta::Ino ino_in, uint64_t fh_in,
                                  uint64_t off_in, meta::Ino ino_out, uint64_t fh_out,
                                  uint64_t off_out, size_t len, int flags) {
  if (IsInternal(ino_in) || IsInternal(ino_out)) return Err(EPERM, "internal file");
  RETURN_IF_ERROR(FlushInode(ino_in));
  RETURN_IF_ERROR(FlushInode(ino_out));
  ASSIGN_OR_RETURN(uint64_t n, meta_->CopyFileRange(ctx, ino_in, off_in, ino_out, off_out, len,
                                                    uint32_t(flags)));
  InvalidateChunks(ino_out);
  return size_t(n);
}

Status Vfs::CompactChunk(meta::Ino ino, uint32_t indx) {
  RETURN_IF_ERROR(FlushInode(ino));
  return compactor_->CompactNow(ino, indx);
}

}  // namespace tierfs::vfs
