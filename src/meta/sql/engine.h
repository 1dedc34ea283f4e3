// SqlEngine: the Engine primitives on the JuiceFS SQL schema (docs/format.md §SQL), over a
// ConnPool and a Dialect. One method = one transaction: writes run under BEGIN IMMEDIATE on the
// pool's writer connection and are retried with backoff while the database reports EBUSY (another
// process holds the write lock); reads run on reader connections (WAL readers never block).
//
// Stored encodings (JuiceFS): jfs_node times are microseconds with the remaining nanoseconds
// (0..999) in *timensec; `mode` holds permission bits only (type in `type`); counters hold the
// next free value; jfs_chunk.slices is the concatenation of 24-byte big-endian slice records;
// jfs_chunk_ref has one row (refs = actual count) per written slice.
//
// Thread-safety: all methods.
#pragma once

#include <atomic>
#include <map>
#include <span>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "meta/engine.h"
#include "meta/sql/conn.h"
#include "meta/perm.h"
#include "meta/sql/dialect.h"

namespace tierfs::meta::sql {

class SqlEngine : public Engine {
 public:
  SqlEngine(std::string name, std::unique_ptr<Connector> connector, const Dialect& dialect);

  std::string Name() const override { return name_; }
  // EIO when the database is not readable or holds some jfs_ tables but not jfs_setting.
  Status CheckReadable();

  Result<std::optional<std::string>> LoadSetting() override;
  Status DoInit(const std::string& setting_json, const Attr& root, std::optional<Attr> trash,
                bool force) override;
  Result<int64_t> IncrCounter(std::string_view name, int64_t delta) override;
  Result<int64_t> GetCounter(std::string_view name) override;
  Result<bool> SetIfSmall(std::string_view name, int64_t value, int64_t diff) override;
  void SetHooks(EngineHooks hooks) override;
  Result<bool> HasDirQuotas() override;
  void SetDirStats(bool on) override { dir_stats_.store(on); }

  std::vector<Result<Attr>> GetAttrs(std::span<const Ino> inos) override;
  Result<Entry> DoLookup(const Context& ctx, Ino parent, std::string_view name) override;
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
  Result<uint32_t> DoWrite(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice, int64_t mtime_s,
                 uint32_t mtime_ns) override;
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

  Result<std::vector<DelFileRow>> ListAllDelFiles() override;
  Result<std::vector<std::pair<uint64_t, Ino>>> ListSustained() override;
  // One write transaction from here to LoadWriter::Commit (load.cc).
  Result<std::unique_ptr<LoadWriter>> BeginLoad() override;

  // ---- helpers shared by the op files (all take the transaction's connection) ----
  // Runs fn in one transaction; retries the whole transaction while the store is busy. Then
  // computes the jfs_dir_stats rows that fn found missing (AddDirStat), each in a transaction.
  Status Txn(bool write, const std::function<Status(Conn&)>& fn);
  static Result<std::optional<Attr>> GetNode(Conn& c, Ino ino);
  static Result<Attr> MustGetNode(Conn& c, Ino ino);
  // The nodes of `inos` that exist, with one `IN (...)` query. REQUIRES: inos.size() <= 999.
  static Result<std::map<Ino, Attr>> GetNodes(Conn& c, std::span<const Ino> inos);
  static Status InsertNode(Conn& c, Ino ino, const Attr& a);
  static Status UpdateNode(Conn& c, Ino ino, const Attr& a);
  // (inode, type) of the entry, or nullopt.
  static Result<std::optional<std::pair<Ino, FileType>>> GetEdge(Conn& c, Ino parent,
                                                                 std::string_view name);
  static Status AddCounter(Conn& c, std::string_view name, int64_t delta);
  static Status AddUsage(Conn& c, int64_t space, int64_t inodes);
  // Final-unlink bookkeeping of `ino` (nlink already 0): sustained if open (still charged),
  // else jfs_delfile and the counters lowered.
  static Status RetireInode(Conn& c, Ino ino, const Attr& a, uint64_t sid, bool open,
                            Removed& out);
  // The last close (or the end of the session) of sustained `ino`, whose jfs_sustained row the
  // caller removed: with no link left it moves to jfs_delfile, its node goes and the counters
  // drop by its current size (JuiceFS doDeleteSustainedInode). Returns whether it was freed.
  static Result<bool> FreeSustained(Conn& c, Ino ino);
  const Dialect& dialect() const { return dialect_; }
  // jfs_dir_stats of directory `dir` += the deltas, when dir stats are on (JuiceFS
  // updateDirStat). A directory without a row gets one computed from its entries after the
  // transaction commits (JuiceFS doUpdateDirStat -> doSyncDirStat).
  Status AddDirStat(Conn& c, Ino dir, int64_t length, int64_t space, int64_t inodes);
  // The same deltas for every parent of `ino` (its `parent`, or all edges when it has several).
  Status AddParentsStat(Conn& c, Ino ino, const Attr& a, int64_t length, int64_t space);
  bool dir_stats() const { return dir_stats_.load(); }

 private:
  Status TxnOnce(bool write, const std::function<Status(Conn&)>& fn);
  // Recomputes the row of directory `dir` from its entries.
  Status SyncDirStat(Ino dir);

  std::string name_;
  ConnPool pool_;
  const Dialect& dialect_;
  std::atomic<bool> dir_stats_{false};
  std::mutex hooks_mu_;
  EngineHooks hooks_;
};

// "a.inode,a.type,..." for a join; AttrFromRow reads those columns starting at `first`.
std::string NodeColsOf(std::string_view alias);
Attr AttrFromRow(const Row& r, size_t first);


}  // namespace tierfs::meta::sql
