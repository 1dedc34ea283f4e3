// BaseMeta: data, compaction, xattr and lock entry points (the rest of base.cc).
#include <linux/falloc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "meta/base.h"
#include "meta/perm.h"

namespace tierfs::meta {

namespace {
// The usedSpace growth of a file going from `from` to `to` bytes (0 when it does not grow).
int64_t Growth(uint64_t from, uint64_t to) { return to > from ? Align4K(to) - Align4K(from) : 0; }
}  // namespace

Status BaseMeta::CheckGrowth(Ino ino, uint64_t old_length, uint64_t new_length) {
  int64_t grow = Growth(old_length, new_length);
  return grow > 0 ? CheckQuota(grow, 0) : Status();
}

Status BaseMeta::Write(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice, int64_t mtime_s,
                       uint32_t mtime_ns) {
  OpScope op(metrics_, "Write");
  if (uint64_t(pos) + slice.len > kChunkSize) return Status(EINVAL, "slice crosses its chunk");
  ASSIGN_OR_RETURN(uint32_t slices, engine_->DoWrite(ino, indx, pos, slice, mtime_s, mtime_ns));
  // JuiceFS's triggers (pkg/meta/base.go Write): every 100th slice, or past 350, the chunk is
  // compacted in the background. (JuiceFS also compacts synchronously past 2500; the VFS
  // compactor is asynchronous only, and the 350 trigger keeps lists far below that.)
  if ((slices % 100 == 99 || slices > 350) && callbacks_.compact_chunk)
    callbacks_.compact_chunk(ino, indx);
  return Status();
}

Result<Attr> BaseMeta::Truncate(const Context& ctx, Ino ino, uint64_t length,
                                bool skip_perm_check) {
  OpScope op(metrics_, "Truncate");
  ASSIGN_OR_RETURN(Attr cur, GetAttr(ctx, ino));
  RETURN_IF_ERROR(CheckGrowth(ino, cur.length, length));
  std::vector<DeadSlice> dead;
  ASSIGN_OR_RETURN(Attr a, engine_->DoTruncate(ctx, ino, length, skip_perm_check, dead));
  // The truncate is committed: a failed deletion leaves objects for `gc`, never an error.
  (void)DeleteSlices(dead);
  return a;
}

Status BaseMeta::Fallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                           uint64_t size) {
  OpScope op(metrics_, "Fallocate");
  if (!(mode & FALLOC_FL_KEEP_SIZE)) {
    ASSIGN_OR_RETURN(Attr cur, GetAttr(ctx, ino));
    RETURN_IF_ERROR(CheckGrowth(ino, cur.length, off + size));
  }
  return engine_->DoFallocate(ctx, ino, mode, off, size);
}

Result<uint64_t> BaseMeta::CopyFileRange(const Context& ctx, Ino fin, uint64_t off_in, Ino fout,
                                         uint64_t off_out, uint64_t size, uint32_t flags) {
  OpScope op(metrics_, "CopyFileRange");
  if (flags != 0) return Err(EINVAL, "copy_file_range flags must be 0");
  auto attrs = GetAttrs(std::array<Ino, 2>{fin, fout});
  if (attrs[0] && attrs[1]) {  // missing inodes: the engine reports them
    uint64_t n = off_in >= attrs[0]->length ? 0 : std::min(size, attrs[0]->length - off_in);
    RETURN_IF_ERROR(CheckGrowth(fout, attrs[1]->length, off_out + n));
  }
  return engine_->DoCopyFileRange(ctx, fin, off_in, fout, off_out, size);
}

Result<ChunkSnapshot> BaseMeta::ReadChunkForCompaction(Ino ino, uint32_t indx) {
  OpScope op(metrics_, "ReadChunkForCompaction");
  ChunkSnapshot snap;
  ASSIGN_OR_RETURN(snap.raw, engine_->DoReadChunk(ino, indx));
  snap.slices = DecodeSlices(snap.raw);
  return snap;
}

Status BaseMeta::CommitCompaction(Ino ino, uint32_t indx, const ChunkSnapshot& snapshot,
                                  const std::vector<Slice>& replacement) {
  OpScope op(metrics_, "CommitCompaction");
  // Only the records of snapshot.slices are replaced; compare exactly their bytes.
  std::string prefix = snapshot.raw.substr(0, snapshot.slices.size() * 24);
  std::vector<DeadSlice> dead;
  bool keep = trash_days_ > 0;
  RETURN_IF_ERROR(engine_->DoCommitCompaction(ino, indx, prefix, replacement, keep, dead));
  return DeleteSlices(dead);
}

namespace {
Status CheckXattrName(std::string_view name) {
  if (name.empty()) return Status(EINVAL, "empty xattr name");
  if (name.size() > kMaxNameLen) return Status(ERANGE, "xattr name longer than 255 bytes");
  return Status();
}
}  // namespace

Result<std::string> BaseMeta::GetXattr(const Context& ctx, Ino ino, std::string_view name) {
  OpScope op(metrics_, "GetXattr");
  RETURN_IF_ERROR(CheckXattrName(name));
  return engine_->DoGetXattr(ino, name);
}

Status BaseMeta::SetXattr(const Context& ctx, Ino ino, std::string_view name,
                          std::string_view value, uint32_t flags) {
  OpScope op(metrics_, "SetXattr");
  RETURN_IF_ERROR(CheckXattrName(name));
  if (flags & ~3u) return Status(EINVAL, "bad xattr flags");
  if (value.size() > 65536) return Status(E2BIG, "xattr value larger than 64 KiB");
  return engine_->DoSetXattr(ino, name, value, flags);
}

Result<std::vector<std::string>> BaseMeta::ListXattr(const Context& ctx, Ino ino) {
  OpScope op(metrics_, "ListXattr");
  return engine_->DoListXattr(ino);
}

Status BaseMeta::RemoveXattr(const Context& ctx, Ino ino, std::string_view name) {
  OpScope op(metrics_, "RemoveXattr");
  RETURN_IF_ERROR(CheckXattrName(name));
  return engine_->DoRemoveXattr(ino, name);
}

Status BaseMeta::PollLock(const std::function<Status()>& attempt, bool block,
                          const Interrupt* interrupt) {
  auto wait = std::chrono::milliseconds(1);
  for (;;) {
    Status st = attempt();
    if (st.code() != EAGAIN || !block) return st;
    // Backoff up to 1 s between tries. An interrupted caller stops at once and never tries
    // again, so it is never granted the lock afterwards; CloseSession ends every wait.
    if (interrupt) {
      if (interrupt->WaitFor(wait)) return Status(EINTR, "lock wait interrupted");
      std::lock_guard lk(mu_);
      if (stopping_) return Status(EINTR, "session closing");
    } else {
      std::unique_lock lk(mu_);
      if (cv_.wait_for(lk, wait, [&] { return stopping_; })) return Status(EINTR, "session closing");
    }
    wait = std::min(wait * 2, std::chrono::milliseconds(1000));
  }
}

Status BaseMeta::Flock(const Context& ctx, Ino ino, uint64_t owner, uint32_t type, bool block) {
  OpScope op(metrics_, "Flock");
  if (type > kLockUnlock) return Status(EINVAL, "bad flock type");
  return PollLock([&] { return engine_->DoFlock(ino, sid_, owner, type); }, block && type != kLockUnlock,
                  ctx.interrupt);
}

Result<PosixLock> BaseMeta::GetLk(const Context& ctx, Ino ino, uint64_t owner,
                                  const PosixLock& probe) {
  OpScope op(metrics_, "GetLk");
  if (probe.type > kLockWrite || probe.start > probe.end) return Err(EINVAL, "bad lock probe");
  return engine_->DoGetLk(ino, sid_, owner, probe);
}

Status BaseMeta::SetLk(const Context& ctx, Ino ino, uint64_t owner, bool block,
                       const PosixLock& lock) {
  OpScope op(metrics_, "SetLk");
  if (lock.type > kLockUnlock || lock.start > lock.end) return Status(EINVAL, "bad lock range");
  return PollLock([&] { return engine_->DoSetLk(ino, sid_, owner, lock); }, block && lock.type != kLockUnlock,
                  ctx.interrupt);
}

}  // namespace tierfs::meta
