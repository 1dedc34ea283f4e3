// Engine: the transactional primitives a metadata store supplies to meta/base (BaseMeta), on
// the model of JuiceFS base.go's `engine` interface. Each Do* method is ONE transaction on the
// store; the POSIX rules it must enforce on what it reads (permissions, sticky bit, setgid) are
// the functions of meta/perm.h, which it calls but never re-implements. BaseMeta does
// everything that needs no transaction: name validation, ".", "..", inode/slice id batches,
// trash directory naming, the open-file table, object deletion through MetaCallbacks, session
// heartbeat and background jobs, metrics.
//
// Batching: read primitives take spans or answer whole directories (GetAttrs, DoReaddir with
// plus) so that a network engine (Redis) can issue all independent reads of one operation in a
// single pipelined round trip (MGET of i{ino} keys; HSCAN d{ino} + MGET); SQL answers them with
// one query (`WHERE inode IN (...)`, a JOIN for readdir-plus).
//
// Errors: errno statuses as meta.h lists; EIO for store failures. Thread-safety: all methods.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meta/meta.h"
#include "metrics/registry.h"

namespace tierfs::meta {

// Where unlink/rmdir/rename-overwrite move an entry when the trash is on: the current hourly
// directory (BaseMeta creates it). The engine names the entry inside its transaction with
// TrashName(), and skips the trash for inodes flagged kFlagSkipTrash.
struct TrashTarget {
  Ino dir = 0;
};

// "{parent}-{ino}-{name}", cut to 255 bytes (JuiceFS trashEntry).
std::string TrashName(Ino parent, Ino ino, std::string_view name);

// Hooks and settings BaseMeta hands to its engine.
struct EngineHooks {
  // Called each time a transaction is restarted because the store was busy (metrics). May be
  // empty. Called from the thread running the transaction.
  std::function<void()> txn_restart;
  // Forwarded MetaCallbacks::invalidate_inode / invalidate_entry (may be empty).
  std::function<void(Ino)> invalidate_inode;
  std::function<void(Ino, const std::string&)> invalidate_entry;
  // Where an engine exports metrics of its own (the Redis client's); not owned, may be null,
  // must outlive the engine.
  metrics::Registry* registry = nullptr;
};

// What an unlink/rename-overwrite did to the inode that lost a link.
struct Removed {
  Ino ino = 0;
  Attr attr;             // after the change
  bool freed = false;    // last link gone and not open: its data must now be deleted
  bool sustained = false;  // last link gone but still open in this session
};

// A slice whose reference count dropped to zero: its objects must be deleted.
struct DeadSlice {
  uint64_t id = 0;
  uint32_t size = 0;
};

// The 24-byte big-endian slice records of a chunk (FORMAT.md §1.3), as every engine stores them.
inline constexpr uint32_t kSliceBytes = 24;
std::string EncodeSlice(const Slice& s);
std::vector<Slice> DecodeSlices(std::string_view raw);

// A jfs_delfile row: a file whose last link is gone and whose data awaits deletion.
struct DelFileRow {
  Ino ino = 0;
  uint64_t length = 0;
  int64_t expire = 0;  // unix seconds (JuiceFS stores the time of the unlink)
};

// One node of a volume being loaded (`tierfs load`, meta/dump.h), final as stored: the loader
// has already resolved hard links (a node is handed over once, at its first link), computed
// nlink (directories: 2 + subdirectories, except trash directories: 2; others: 1, raised later
// for hard links, see LoadedVolume::links), length (directories 4096, symlinks the target's
// length) and parent (the first directory it was found in; the root's parent is 1).
struct LoadedEdge {
  std::string name;  // raw bytes (unescaped)
  Ino ino = 0;
  FileType type = FileType::kFile;
  uint64_t length = 0;  // the child's length when it is a regular file, else 0 (for dir stats)
};
struct LoadedNode {
  Ino ino = 0;
  Attr attr;
  std::string symlink;                                       // kSymlink: the target
  std::vector<std::pair<std::string, std::string>> xattrs;   // name, raw value
  std::vector<std::pair<uint32_t, std::vector<Slice>>> chunks;  // kFile: index, slices in order
  std::vector<LoadedEdge> entries;                           // kDirectory: its entries
};
// What a load stores once every node is in.
struct LoadedVolume {
  std::string setting_json;  // the volume setting, as LoadSetting answers it
  // Counters by their stored names: usedSpace, totalInodes, nextInode, nextChunk, nextSession,
  // nextTrash (SQL names; the value is the next free id, as the SQL engine keeps them).
  std::vector<std::pair<std::string, int64_t>> counters;
  std::vector<DelFileRow> delfiles;
  struct SliceRef {
    uint64_t id = 0;
    uint32_t size = 0;
    int64_t refs = 0;  // how many chunk records name the slice (id 0, holes, never listed)
  };
  std::vector<SliceRef> slice_refs;
  // Inodes with more than one link: their nlink is the number of links and their parent 0.
  std::vector<std::pair<Ino, uint32_t>> links;
  // Where the links of those inodes are: (inode, directory, links in that directory), ordered
  // by inode then directory; for engines that keep a parent set (the Redis p{ino} hash).
  struct LinkParent {
    Ino ino = 0;
    Ino parent = 0;
    uint32_t count = 0;
  };
  std::vector<LinkParent> link_parents;
};

// The raw writes of one load into an empty store. AddNode may be called many times (every
// node of the tree, in any order), then Commit once. The store must show nothing of the load
// until Commit succeeds: a writer destroyed without a successful Commit (bad input found
// half-way, an error) leaves the store exactly as BeginLoad found it. Not thread-safe: one
// thread drives a writer; it must not outlive its engine, and the engine serves nothing else
// while a writer is open (the SQL engine's writer holds its write connection).
class LoadWriter {
 public:
  virtual ~LoadWriter() = default;
  // Stores the node, its xattrs, symlink target or chunks (no chunk row for an empty slice
  // list), and for a directory its edges and, when the engine keeps directory statistics, the
  // directory's statistics computed from `entries` (JuiceFS load: length, space, inodes).
  virtual Status AddNode(const LoadedNode& node) = 0;
  // Stores the setting, counters, delfiles, slice reference counts, hard-link nlinks, and makes
  // the whole load visible atomically.
  virtual Status Commit(const LoadedVolume& volume) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string Name() const = 0;

  // ---- volume ----
  // The stored setting JSON, or nullopt when the store holds no volume.
  virtual Result<std::optional<std::string>> LoadSetting() = 0;
  // Creates the schema if needed and stores the setting; on a new volume also the root (and,
  // when `trash`, the trash) inode and the counters. EEXIST if formatted and !force.
  virtual Status DoInit(const std::string& setting_json, const Attr& root,
                        std::optional<Attr> trash, bool force) = 0;
  // Adds delta to a counter (absent = 0) and returns the new value.
  virtual Result<int64_t> IncrCounter(std::string_view name, int64_t delta) = 0;
  virtual Result<int64_t> GetCounter(std::string_view name) = 0;
  // JuiceFS setIfSmall: in one transaction, sets counter `name` to `value` iff its current
  // value (absent = 0) is <= value - diff; returns whether it did. Gates the shared jobs.
  virtual Result<bool> SetIfSmall(std::string_view name, int64_t value, int64_t diff) = 0;
  virtual void SetHooks(EngineHooks hooks) = 0;
  // See Meta::CheckFormattable. Default: OK (SQL: the jfs_ tables are checked by LoadSetting).
  virtual Status CheckFormattable(bool force) { return Status(); }
  // Whether any directory quota is set (JuiceFS jfs_dir_quota rows / dirQuota hash).
  virtual Result<bool> HasDirQuotas() = 0;
  // Whether to maintain jfs_dir_stats (Format::dir_stats); may change while mounted.
  virtual void SetDirStats(bool on) = 0;
  // Meta::FlushStats: writes batched usage / dir-stat deltas now (default: none batched).
  virtual Status FlushStats() { return Status(); }

  // ---- namespace ----
  virtual std::vector<Result<Attr>> GetAttrs(std::span<const Ino> inos) = 0;
  // The attr as the server has it now, bypassing any client-side cache (close-to-open: an open
  // must not resolve to an inode another client already removed, and a removed inode must
  // leave the cache so that the kernel's retried lookup resolves the name again). Default: an
  // engine without a client cache reads fresh anyway.
  virtual Result<Attr> GetFreshAttr(Ino ino) { return std::move(GetAttrs(std::span<const Ino>(&ino, 1))[0]); }
  // `parent` must be a directory the caller may search (checked here, inside the read).
  virtual Result<Entry> DoLookup(const Context& ctx, Ino parent, std::string_view name) = 0;
  // Reads the attr, calls `update` on it (which applies perm.h rules) and stores the result.
  virtual Result<Attr> DoSetAttr(Ino ino, const std::function<Result<Attr>(const Attr&)>& update) = 0;
  // Creates `attr` (with attr.parent = parent) named `name` in `parent`; inode id `ino` was
  // allocated by the caller. Applies InitOwner. Returns the entry as stored.
  virtual Result<Entry> DoMknod(const Context& ctx, Ino parent, std::string_view name, Ino ino,
                                Attr attr, std::string_view target) = 0;
  // `is_open(ino)`: whether this session has the inode open (then it is sustained, not freed).
  virtual Result<Removed> DoUnlink(const Context& ctx, Ino parent, std::string_view name,
                                   const std::optional<TrashTarget>& trash, uint64_t sid,
                                   const std::function<bool(Ino)>& is_open) = 0;
  virtual Status DoRmdir(const Context& ctx, Ino parent, std::string_view name,
                         const std::optional<TrashTarget>& trash) = 0;
  // Moves (or exchanges) the entry; an overwritten target is reported in `removed` (or moved
  // into `trash` when given, as JuiceFS does).
  virtual Result<Entry> DoRename(const Context& ctx, Ino psrc, std::string_view nsrc, Ino pdst,
                                 std::string_view ndst, uint32_t flags,
                                 const std::optional<TrashTarget>& trash, uint64_t sid,
                                 const std::function<bool(Ino)>& is_open,
                                 std::optional<Removed>& removed) = 0;
  virtual Result<Attr> DoLink(const Context& ctx, Ino ino, Ino parent, std::string_view name) = 0;
  virtual Result<std::string> DoReadlink(Ino ino) = 0;
  // Entries of directory `ino` without "." and ".."; attrs filled (full) when `plus`.
  virtual Result<std::vector<Entry>> DoReaddir(const Context& ctx, Ino ino, bool plus) = 0;

  // ---- data ----
  virtual Result<std::string> DoReadChunk(Ino ino, uint32_t indx) = 0;  // raw 24-byte records
  virtual Result<uint32_t> DoWrite(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice,
                         int64_t mtime_s, uint32_t mtime_ns) = 0;
  // `dead` gets the slices whose last reference went with chunks wholly past the new length,
  // when the engine drops those chunks at once (Redis: its deletion of a freed file finds the
  // chunks from the length, so none may lie past it); their objects must be deleted.
  virtual Result<Attr> DoTruncate(const Context& ctx, Ino ino, uint64_t length,
                                  bool skip_perm_check, std::vector<DeadSlice>& dead) = 0;
  virtual Status DoFallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                             uint64_t size) = 0;
  virtual Result<uint64_t> DoCopyFileRange(const Context& ctx, Ino fin, uint64_t off_in, Ino fout,
                                           uint64_t off_out, uint64_t size) = 0;
  virtual Status DoCommitCompaction(Ino ino, uint32_t indx, const std::string& expect_prefix,
                                    const std::vector<Slice>& replacement, bool keep_in_trash,
                                    std::vector<DeadSlice>& dead) = 0;
  // Removes one chunk row of a freed file (JuiceFS deletes chunk by chunk) and returns the
  // slices whose refs hit 0; `more` is false when the file had no chunk left.
  virtual Result<std::vector<DeadSlice>> DoDeleteFileChunk(Ino ino, bool& more) = 0;
  // Releases the jfs_delslices rows with `deleted` < edge (unix s), one transaction per row:
  // each slice a trash-time compaction replaced loses the reference kept for the trash; returns
  // those whose refs hit 0 (JuiceFS doCleanupDelayedSlices).
  virtual Result<std::vector<DeadSlice>> DoCleanupDelayedSlices(int64_t edge) = 0;
  // Drops the jfs_delfile row once the file's objects are gone.
  virtual Status DoFinishDelFile(Ino ino) = 0;
  // Inodes of jfs_delfile rows with expire < before (pending data deletion), at most `limit`.
  virtual Result<std::vector<Ino>> ListDelFiles(int64_t before, size_t limit) = 0;
  // Drops (sid, ino) from jfs_sustained; when the inode has no links left, moves it to
  // jfs_delfile and returns true (its data must be deleted).
  virtual Result<bool> DoReleaseSustained(uint64_t sid, Ino ino) = 0;

  // ---- xattrs ----
  virtual Result<std::string> DoGetXattr(Ino ino, std::string_view name) = 0;
  virtual Status DoSetXattr(Ino ino, std::string_view name, std::string_view value,
                            uint32_t flags) = 0;
  virtual Result<std::vector<std::string>> DoListXattr(Ino ino) = 0;
  virtual Status DoRemoveXattr(Ino ino, std::string_view name) = 0;

  // ---- locks ---- (one try; EAGAIN on conflict; BaseMeta polls for blocking calls)
  virtual Status DoFlock(Ino ino, uint64_t sid, uint64_t owner, uint32_t type) = 0;
  virtual Result<PosixLock> DoGetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& probe) = 0;
  virtual Status DoSetLk(Ino ino, uint64_t sid, uint64_t owner, const PosixLock& lock) = 0;

  // ---- sessions ----
  virtual Status DoNewSession(uint64_t sid, int64_t expire, const std::string& info_json) = 0;
  // ENOENT when the session row is gone (another client cleaned it as stale).
  virtual Status DoRefreshSession(uint64_t sid, int64_t expire) = 0;
  virtual Result<std::vector<std::pair<uint64_t, int64_t>>> DoListSessions(
      std::vector<std::string>* infos) = 0;
  // Sessions with expire < now.
  virtual Result<std::vector<uint64_t>> DoStaleSessions(int64_t now) = 0;
  // Drops the session's locks, its row, and its sustained inodes (returned: those whose data
  // must now be deleted).
  virtual Result<std::vector<Ino>> DoCleanSession(uint64_t sid) = 0;

  // ---- dump and load (meta/dump.h) ----
  // Every jfs_delfile row (any expire). Default: ENOTSUP.
  virtual Result<std::vector<DelFileRow>> ListAllDelFiles() {
    return Err(ENOTSUP, Name() + ": listing deleted files is not supported by this engine");
  }
  // Every sustained inode, as (sid, inode), ordered by sid then inode. Default: ENOTSUP.
  virtual Result<std::vector<std::pair<uint64_t, Ino>>> ListSustained() {
    return Err(ENOTSUP, Name() + ": listing sustained inodes is not supported by this engine");
  }
  // Starts loading a dumped volume into this store. EEXIST (one line naming the store) when it
  // is not empty: it holds a volume or any record of one (JuiceFS load refuses the same). The
  // schema, if the engine has one, is created by the writer, inside what Commit makes visible.
  // Default: ENOTSUP.
  virtual Result<std::unique_ptr<LoadWriter>> BeginLoad() {
    return Err(ENOTSUP, "load is not supported by the " + Name() + " engine");
  }
};

// The engine named by a META-URL, without the BaseMeta over it (for dump and load, which read
// and write the store raw). Errors as OpenMeta.
Result<std::unique_ptr<Engine>> OpenEngine(std::string_view url, bool must_exist);
// Deletes what OpenEngine(url, false) created for a store that did not exist (the database file
// of sqlite3); nothing for engines on a server. For a failed `load` into a new store: the failed
// command leaves no file behind. REQUIRES: no engine of `url` is open.
Status RemoveCreatedStore(std::string_view url);

}  // namespace tierfs::meta
