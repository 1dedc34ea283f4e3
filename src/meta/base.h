// BaseMeta: the Meta interface over an Engine. Holds the engine-independent rules of JuiceFS
// base.go: name validation ("", ".", "..", > 255 bytes), the "." and ".." entries, inode and
// slice id batches (IdPool: nextInode += inode_batch, nextChunk += chunk_batch, 256 and 2048
// by default, prefetched below a low watermark), volume quotas (Capacity/Inodes ->
// ENOSPC), trash placement (hourly "YYYY-MM-DD-HH" directories under kTrashIno named
// "{parent}-{ino}-{name}"), the per-session open-file table (unlinked open files are sustained
// and freed at last Close), deletion of freed data through MetaCallbacks::delete_slice (in
// the background, by a Deleter), lock polling for blocking calls, the session heartbeat and
// the shared background jobs, and the op metrics.
//
// Background jobs (each heartbeat; all clients of a volume cooperate, JuiceFS base.go): the
// session row is refreshed (and re-inserted with a warning if another client removed it), the
// setting re-read, then each job runs only in the client that advances its jfs_counter gate
// (SetIfSmall): stale sessions (`lastCleanupSessions`, once per 0.9 heartbeat), jfs_delfile
// rows older than one hour (`lastCleanupFiles`, hourly) and trash expiry (`lastCleanupTrash`,
// hourly). NewSession also queues every leftover jfs_delfile row for deletion.
//
// Thread-safety: every method, as meta.h requires.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <thread>

#include "meta/deleter.h"
#include "meta/engine.h"
#include "meta/id_pool.h"
#include "meta/op_metrics.h"

namespace tierfs::meta {

class BaseMeta : public Meta {
 public:
  // `ids`: the batch sizes and watermarks of the inode and slice id pools.
  // REQUIRES: the batches >= 1 and the watermarks 0..100 (OpenMeta checks the URL's values).
  explicit BaseMeta(std::unique_ptr<Engine> engine, const IdPoolOptions& ids = {});
  ~BaseMeta() override;

  std::string Name() const override { return engine_->Name(); }
  Status Init(const Format& format, bool force) override;
  Result<Format> Load() override;
  Status CheckSupported() override;
  Status CheckFormattable(bool force) override { return engine_->CheckFormattable(force); }
  Status NewSession(const SessionInfo& info, const MetaOptions& options,
                    MetaCallbacks callbacks) override;
  Status CloseSession() override;
  Status FlushStats() override { return engine_->FlushStats(); }
  Result<std::vector<SessionInfo>> ListSessions() override;
  Result<StatFs> StatFS(const Context& ctx, Ino ino) override;

  Result<Entry> Lookup(const Context& ctx, Ino parent, std::string_view name) override;
  Result<Attr> GetAttr(const Context& ctx, Ino ino) override;
  std::vector<Result<Attr>> GetAttrs(std::span<const Ino> inos) override;
  Result<Attr> SetAttr(const Context& ctx, Ino ino, uint32_t mask, const Attr& in) override;
  Result<Entry> Mknod(const Context& ctx, Ino parent, std::string_view name, FileType type,
                      uint16_t mode, uint16_t cumask, uint32_t rdev,
                      std::string_view target) override;
  Status Unlink(const Context& ctx, Ino parent, std::string_view name, bool skip_trash) override;
  Status Rmdir(const Context& ctx, Ino parent, std::string_view name, bool skip_trash) override;
  Result<Entry> Rename(const Context& ctx, Ino parent_src, std::string_view name_src,
                       Ino parent_dst, std::string_view name_dst, uint32_t flags) override;
  Result<Attr> Link(const Context& ctx, Ino ino, Ino parent, std::string_view name) override;
  Result<std::string> ReadLink(const Context& ctx, Ino ino) override;
  Result<std::vector<Entry>> Readdir(const Context& ctx, Ino ino, bool plus) override;

  Result<Attr> Open(const Context& ctx, Ino ino, uint32_t flags) override;
  Status Close(const Context& ctx, Ino ino) override;

  Result<std::vector<Slice>> Read(Ino ino, uint32_t indx) override;
  Result<uint64_t> NewSlice() override;
  Status CheckGrowth(Ino ino, uint64_t old_length, uint64_t new_length) override;
  bool HasCapacity() override { return capacity_.load(std::memory_order_relaxed) > 0; }
  Status Write(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice, int64_t mtime_s,
               uint32_t mtime_ns) override;
  Result<Attr> Truncate(const Context& ctx, Ino ino, uint64_t length,
                        bool skip_perm_check) override;
  Status Fallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                   uint64_t size) override;
  Result<uint64_t> CopyFileRange(const Context& ctx, Ino fin, uint64_t off_in, Ino fout,
                                 uint64_t off_out, uint64_t size, uint32_t flags) override;
  Result<ChunkSnapshot> ReadChunkForCompaction(Ino ino, uint32_t indx) override;
  Status CommitCompaction(Ino ino, uint32_t indx, const ChunkSnapshot& snapshot,
                          const std::vector<Slice>& replacement) override;

  Result<std::string> GetXattr(const Context& ctx, Ino ino, std::string_view name) override;
  Status SetXattr(const Context& ctx, Ino ino, std::string_view name, std::string_view value,
                  uint32_t flags) override;
  Result<std::vector<std::string>> ListXattr(const Context& ctx, Ino ino) override;
  Status RemoveXattr(const Context& ctx, Ino ino, std::string_view name) override;

  Status Flock(const Context& ctx, Ino ino, uint64_t owner, uint32_t type, bool block) override;
  Result<PosixLock> GetLk(const Context& ctx, Ino ino, uint64_t owner,
                          const PosixLock& probe) override;
  Status SetLk(const Context& ctx, Ino ino, uint64_t owner, bool block,
               const PosixLock& lock) override;

  Status CleanupDeletedFiles() override;
  Status DrainDeletions() override;

  // One pass of the stale-session cleanup now, ungated (what the gated job runs).
  Status CleanupStaleSessions();
  // Entries of hourly trash dirs older than TrashDays before `now` (unix s) are deleted for
  // real, with their dirs (JuiceFS doCleanupTrash), and slices that compactions replaced
  // before then are released (jfs_delslices, JuiceFS cleanupDelayedSlices). Ungated.
  Status CleanupTrash(int64_t now);
  // What the heartbeat thread does each period: refresh (or re-insert) the session row,
  // re-read the setting, run the gated jobs. Public so tests can run a period at once.
  Status Heartbeat();
  // The gated jobs: each returns whether this client won the gate (and ran the job).
  Result<bool> RunSessionCleanupJob();
  Result<bool> RunDelFileCleanupJob();
  Result<bool> RunTrashCleanupJob();
  uint64_t sid() const { return sid_; }

 private:
  using OpScope = OpMetrics::OpScope;
  Result<Ino> NextInode();
  Result<std::optional<TrashTarget>> TrashFor(Ino parent, bool skip);
  Status CheckQuota(int64_t space, int64_t inodes);
  // Deletes the data of freed `ino` now, in this thread, then its jfs_delfile row. When
  // another thread is deleting the same inode, waits for it first, so a return means done.
  Status DeleteFileData(Ino ino);
  Status DeleteFileChunks(Ino ino);
  // Hands freed `ino` to the background deleter (or leaves its row for a later pass).
  void QueueDelete(Ino ino);
  Status DeleteSlices(const std::vector<DeadSlice>& dead);
  Status RemoveTree(Ino dir);
  bool IsOpen(Ino ino);
  // After an unlink or overwriting rename: queue a freed inode's data for deletion, remember a
  // sustained one for its last Close.
  void NoteRemoved(const Removed& r);
  Status PollLock(const std::function<Status()>& attempt, bool block, const Interrupt* interrupt);
  void BackgroundLoop();
  Format CurrentFormat();
  // Stores the volume setting and its hot fields (hot paths read those without copying it).
  // REQUIRES: mu_ held.
  void SetFormatLocked(const Format& f);
  void UpdateUsageGauges();

  std::unique_ptr<Engine> engine_;
  std::mutex mu_;  // guards everything below
  Format format_;
  // Copies of format_'s fields read on every create, write and unlink.
  std::atomic<uint64_t> capacity_{0}, inode_quota_{0};
  std::atomic<int> trash_days_{0};
  bool loaded_ = false;
  uint64_t sid_ = 0;
  MetaOptions options_;
  MetaCallbacks callbacks_;
  std::map<Ino, int> open_;  // open count per inode, this session
  std::set<Ino> sustained_;  // unlinked while open here: released at the last Close
  // The id pools lock nothing of ours: their refills call the engine, whose transactions
  // call back into IsOpen (mu_). Declared after engine_, so destroyed (their refill thread
  // joined) before it.
  IdPool inode_ids_;
  IdPool slice_ids_;
  bool stopping_ = false;
  std::condition_variable cv_;
  std::thread bg_;
  std::string trash_hour_;  // the last hourly trash dir used, and its inode (JuiceFS subTrash)
  Ino trash_hour_ino_ = 0;
  std::string session_json_;  // to re-insert our row if another client removed it
  OpMetrics metrics_;
  // Guards deleter_ (replaced at NewSession, stopped at CloseSession); never held while the
  // deleter runs work.
  std::mutex del_mu_;
  std::shared_ptr<Deleter> deleter_;
  // Inodes some thread is deleting now (DeleteFileData), so that two deleters of one inode
  // (the background Deleter and CleanupDeletedFiles, say) never overlap.
  std::mutex deleting_mu_;
  std::condition_variable deleting_cv_;
  std::set<Ino> deleting_;
};

}  // namespace tierfs::meta
