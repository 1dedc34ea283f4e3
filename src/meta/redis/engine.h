// RedisEngine: the Engine primitives on the JuiceFS Redis schema (FORMAT.md §1), over the
// net/redis client. Mutating primitives are optimistic transactions (txn.h: WATCH the keys read,
// MULTI..EXEC the writes, run again when EXEC finds a watched key changed, up to 50 times with
// a growing random pause, as JuiceFS redisMeta.txn), serialised inside this process per first
// key by a striped mutex so that our own threads do not make each other retry. Reads that need
// no transaction go through the pipelined client; the ones marked cacheable (attrs, entries,
// symlink targets, xattrs) through its server-assisted client-side cache.
//
// Stored encodings: JuiceFS's (attr 72 bytes, entry 9 bytes, slice 24 bytes, sliceRef =
// refcount - 1, delfiles "{ino}:{length}", locks "{sid}_{owner:016X}"). Counters: nextinode and
// nextchunk hold the LAST used id in Redis (JuiceFS); IncrCounter returns value + 1 for them, so
// that the engine interface keeps one meaning (the caller owns [v - delta, v)).
//
// Thread-safety: all methods. Errors: errno statuses as engine.h; EIO (or ETIMEDOUT) when the
// server does not answer within the client's read timeout.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "meta/engine.h"
#include "meta/redis/schema.h"
#include "meta/redis/stat_batch.h"
#include "meta/redis/tracker.h"
#include "meta/redis/txn.h"
#include "net/redis/client.h"

namespace tierfs::meta::redis {

class RedisEngine : public Engine {
 public:
  RedisEngine(std::unique_ptr<net::redis::Client> client, std::string prefix);
  ~RedisEngine() override;

  std::string Name() const override { return "redis"; }
  // EIO naming the problem when the DB holds keys but no setting (not a JuiceFS volume) — only
  // a warning-free check; format refuses such a DB without --force (DoInit, EEXIST).
  Status CheckServer();

  Result<std::optional<std::string>> LoadSetting() override;
  Status CheckFormattable(bool force) override;
  Status DoInit(const std::string& setting_json, const Attr& root, std::optional<Attr> trash,
                bool force) override;
  Result<int64_t> IncrCounter(std::string_view name, int64_t delta) override;
  Result<int64_t> GetCounter(std::string_view name) override;
  Result<bool> SetIfSmall(std::string_view name, int64_t value, int64_t diff) override;
  void SetHooks(EngineHooks hooks) override;
  Result<bool> HasDirQuotas() override;
  void SetDirStats(bool on) override { dir_stats_.store(on); }

  std::vector<Result<Attr>> GetAttrs(std::span<const Ino> inos) override;
  Result<Attr> GetFreshAttr(Ino ino) override;
  Result<Entry> DoLookup(const Context& ctx, Ino parent, std::string_view name) override;
  // The kernel hooks, called under hooks_mu_ (shared): after SetHooks returns, a replaced hook is
  // never called again (the tracker's delayed checks go through these too).
  bool HasKernelHooks();
  void NotifyInode(Ino ino);
  void NotifyEntry(Ino parent, const std::string& name);
  // DoReaddir's body: one read of the listing (and, for plus, the attributes).
  Result<std::vector<Entry>> ReaddirOnce(const Context& ctx, Ino ino, bool plus);
  // Changes when an invalidation of directory `dir`'s entries (or of everything) arrives.
  std::pair<uint64_t, uint64_t> DirGen(Ino dir);
  // DoLookup's body; a dentry naming a vanished inode is re-read up to `retries_left` times.
  Result<Entry> LookupOnce(const Context& ctx, Ino parent, std::string_view name, int retries_left);
  Result<Attr> DoSetAttr(Ino ino, const std::function<Result<Attr>(const Attr&)>& update) override;
  Result<Entry> DoMknod(const Context& ctx, Ino parent, std::string_view name, Ino ino, Attr attr,
                        std::string_view target) override;
  Result<Removed> DoUnlink(const Context& ctx, Ino parent, std::string_view name,
                           const std::optional<TrashTarget>& trash, uint64_t sid,
                           const std::function<bool(Ino)>& is_open) override;
  Status DoRmdir(const Context& ctx, Ino parent, std::string_view name,
                 const std::optional<TrashTarget>& trash) override;
  Result<Entry> DoRename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                         std::string_view ndst, uint32_t flags,
                         const std::optional<TrashTarget>& trash, uint64_t sid,
                         const std::function<bool(Ino)>& is_open,
                         std::optional<Removed>& removed) override;
  Result<Attr> DoLink(const Context& ctx, Ino ino, Ino parent, std::string_view name) override;
  Result<std::string> DoReadlink(Ino ino) override;
  Result<std::vector<Entry>> DoReaddir(const Context& ctx, Ino ino, bool plus) override;

  Result<std::string> DoReadChunk(Ino ino, uint32_t indx) override;
  Result<uint32_t> DoWrite(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice,
                           int64_t mtime_s, uint32_t mtime_ns) override;
  Result<Attr> DoTruncate(const Context& ctx, Ino ino, uint64_t length,
                          bool skip_perm_check, std::vector<DeadSlice>& dead) override;
  Status DoFallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                     uint64_t size) override;
  Result<uint64_t> DoCopyFileRange(const Context& ctx, Ino fin, uint64_t off_in, Ino fout,
                                   uint64_t off_out, uint64_t size) override;
  Status DoCommitCompaction(Ino ino, uint32_t indx, const std::string& expect_prefix,
                            const std::vector<Slice>& replacement, bool keep_in_trash,
                            std::vector<DeadSlice>& dead) override;
  Result<std::vector<DeadSlice>> DoDeleteFileChunk(Ino ino, bool& more) override;
  Result<std::vector<DeadSlice>> DoCleanupDelayedSlices(int64_t edge) override;
  Status DoFinishDelFile(Ino ino) override;
  Result<std::vector<Ino>> ListDelFiles(int64_t before, size_t limit) override;
  Result<bool> DoReleaseSustained(uint64_t sid, Ino ino) override;

  Result<std::string> DoGetXattr(Ino ino, std::string_view name) override;
  Status DoSetXattr(Ino ino, std::string_view name, std::string_view value,
                    uint32_t flags) override;
  Result<std::vector<std::string>> DoListXattr(Ino ino) override;
  Status DoRemoveXattr(Ino ino, std::string_view name) override;

  Status DoFlock(Ino ino, uint64_t sid, uint64_t owner, uint32_t type) override;
  Result<PosixLock> DoGetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& probe) override;
  Status DoSetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& lock) override;

  Status DoNewSession(uint64_t sid, int64_t expire, const std::string& info_json) override;
  Status DoRefreshSession(uint64_t sid, int64_t expire) override;
  Result<std::vector<std::pair<uint64_t, int64_t>>> DoListSessions(
      std::vector<std::string>* infos) override;
  Result<std::vector<uint64_t>> DoStaleSessions(int64_t now) override;
  Result<std::vector<Ino>> DoCleanSession(uint64_t sid) override;

  // ---- dump and load (load_ops.cc) ----
  // The delfiles zset in ZRANGE order (by expire, as JuiceFS dumps it).
  Result<std::vector<DelFileRow>> ListAllDelFiles() override;
  // The session{sid} sets of the sessions in allSessions (JuiceFS dumps those only).
  Result<std::vector<std::pair<uint64_t, Ino>>> ListSustained() override;
  // EEXIST when the DB holds any key (with a prefix: any key of the prefix), as JuiceFS
  // LoadMeta. The writer sends its writes as it goes, pipelined, to the real keys, the setting
  // last (MSET with the counters): no client sees a volume before Commit ends. A writer
  // destroyed without a successful Commit deletes every key it wrote (it keeps the inode
  // numbers and chunk indexes it stored for that), leaving the DB empty again; only a process
  // killed mid-load leaves keys behind (and no setting), which a new load then refuses.
  Result<std::unique_ptr<LoadWriter>> BeginLoad() override;

  // ---- helpers shared by the op files ----
  // Runs fn as one transaction (see the class comment). `lock_key` picks the in-process stripe.
  // `after`, when given, sees the EXEC replies (one per queued write, in order) of the commit.
  Status Txn(const std::string& lock_key, const std::function<Status(Tx&)>& fn,
             const std::function<void(const std::vector<Reply>&)>& after = {});
  // A command on the pipelined client; a server error reply becomes EIO.
  Result<Reply> Do(Command cmd);
  // Commands sent together on one connection, run in this order; the first transport failure
  // or server error reply (naming its command) is the error.
  Result<std::vector<Reply>> DoAll(std::vector<Command> cmds);
  // A cacheable single-key read (client-side cache when on).
  Result<Reply> Cached(Command read, const std::string& key);
  const Keys& keys() const { return keys_; }
  bool dir_stats() const { return dir_stats_.load(); }
  // Queues the dir-stat deltas of `dir` (JuiceFS keeps dirDataLength/dirUsedSpace/
  // dirUsedInodes hashes, HINCRBY). No-op when dir stats are off or for the trash.
  void AddDirStat(Tx& tx, Ino dir, int64_t length, int64_t space, int64_t inodes);
  // The same deltas for every parent of `ino` (its parent, or the p{ino} hash of a hard link).
  Status AddParentsStat(Tx& tx, Ino ino, const Attr& a, int64_t length, int64_t space);
  // usedSpace / totalInodes deltas.
  void AddUsage(Tx& tx, int64_t space, int64_t inodes);
  // Writes the usage and dir-stat deltas of committed transactions now (stat_batch.h: they
  // are written once a second, and at destruction). Errors: the server's (the deltas stay
  // pending).
  Status FlushStats() override;
  // delfiles members ("{ino}:{length}") this client wrote or listed, so that finishing a
  // deletion needs no ZSCAN of the whole set.
  void NoteDelFile(Ino ino, uint64_t length);
  std::optional<std::string> KnownDelFile(Ino ino);
  void ForgetDelFile(Ino ino);
  // Final-unlink bookkeeping of `ino` (nlink already 0; its SET is queued by the caller).
  Status RetireInode(Tx& tx, Ino ino, const Attr& a, uint64_t sid, bool open, Removed& out);

 private:
  Status TxnOnce(const std::function<Status(Tx&)>& fn,
                 const std::function<void(const std::vector<Reply>&)>& after, bool& conflict);

  void FlusherLoop();
  void StartFlusher();

  Keys keys_;
  std::atomic<bool> dir_stats_{false};
  StatBatch stat_batch_;
  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool flusher_stop_ = false;     // guarded by flusher_mu_
  std::thread flusher_;           // started at the first committed delta
  std::once_flag flusher_once_;
  std::shared_mutex hooks_mu_;  // shared while a hook runs; SetHooks waits for those
  EngineHooks hooks_;
  std::array<std::mutex, 256> stripes_;
  // Server invalidations (client cache) -> EngineHooks: i{n}/s{n} -> inode n; d{n} -> inode n
  // and the names of n this engine looked up (the kernel caches those dentries).
  void OnServerInvalidate(std::span<const std::string> keys, bool all);
  void NoteLookup(Ino parent, std::string_view name);
  // Inodes whose attrs went up to the kernel (told to forget them all when tracking is lost).
  void NoteHanded(Ino ino);
  // After a commit: the keys it wrote are read again, tracked (see tracker.h).
  void TrackWrites(const std::vector<Command>& cmds);
  std::unordered_set<Ino> handed_;
  void BindMetrics(metrics::Registry* reg);
  // Whether `dir` has dir-stat fields (remembered once seen); SyncDirStat recomputes them from
  // the directory's entries.
  bool HasDirStat(Tx& tx, Ino dir);
  Status SyncDirStat(Ino dir);
  std::unordered_set<Ino> known_stats_;
  struct StatsLink {
    std::mutex mu;
    bool bound = false;
    net::redis::Client* client = nullptr;  // null once the engine is gone
  };
  std::shared_ptr<StatsLink> stats_ = std::make_shared<StatsLink>();
  std::mutex names_mu_;
  std::unordered_map<Ino, std::unordered_set<std::string>> looked_up_;
  size_t looked_up_count_ = 0;
  std::unordered_map<Ino, uint64_t> dir_gen_;  // invalidations of d{ino} seen (names_mu_)
  uint64_t flush_gen_ = 0;                     // invalidations of everything (names_mu_)
  std::unordered_map<Ino, std::string> del_members_;  // guarded by del_mu_
  std::mutex del_mu_;
  std::map<Ino, uint64_t> del_next_;  // DoDeleteFileChunk: the next chunk index to look at
  // Last but one: destroyed first but one (its reader threads call back into this object).
  std::unique_ptr<net::redis::Client> client_;
  // Last: destroyed first (its thread uses client_ and calls back into this object).
  std::unique_ptr<Tracker> tracker_;
};


}  // namespace tierfs::meta::redis
