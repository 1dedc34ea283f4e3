// Meta: the POSIX metadata of a volume (inodes, dentries, chunks of slices, xattrs, locks,
// sessions), as the VFS sees it. One interface for every engine (SQLite/PostgreSQL in meta/sql,
// Redis next); the POSIX rules (permissions, sticky bit, ".", "..", quotas, trash, compaction
// triggers) live once in meta/base, the engines only supply transactional primitives.
// Semantics follow JuiceFS pkg/meta/interface.go; the stored layout is docs/format.md.
//
// Errors: every call returns an errno in its Status (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY,
// EACCES, EPERM, EINVAL, ENAMETOOLONG, ENOSPC, EDQUOT, EXDEV, ENODATA (xattr), ERANGE, EAGAIN
// (lock conflict), EROFS), or EIO with a message naming the engine failure.
// Thread-safety: every method may be called concurrently from any thread.
// Units: lengths and offsets in bytes; times in seconds + nanoseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meta/format.h"
#include "meta/types.h"
#include "util/status.h"

namespace tierfs::metrics {
class Registry;
}  // namespace tierfs::metrics

namespace tierfs::meta {

// setattr mask bits (which fields of the Attr argument apply).
inline constexpr uint32_t kSetAttrMode = 1 << 0;
inline constexpr uint32_t kSetAttrUid = 1 << 1;
inline constexpr uint32_t kSetAttrGid = 1 << 2;
inline constexpr uint32_t kSetAttrAtime = 1 << 3;
inline constexpr uint32_t kSetAttrMtime = 1 << 4;
inline constexpr uint32_t kSetAttrAtimeNow = 1 << 5;
inline constexpr uint32_t kSetAttrMtimeNow = 1 << 6;
inline constexpr uint32_t kSetAttrCtime = 1 << 7;
inline constexpr uint32_t kSetAttrFlag = 1 << 8;

// rename(2) flags, as Linux defines them.
inline constexpr uint32_t kRenameNoReplace = 1 << 0;
inline constexpr uint32_t kRenameExchange = 1 << 1;

// Lock types, Linux values (F_RDLCK 0, F_WRLCK 1, F_UNLCK 2), as stored in plock records.
inline constexpr uint32_t kLockRead = 0;
inline constexpr uint32_t kLockWrite = 1;
inline constexpr uint32_t kLockUnlock = 2;

// A session as stored (jfs_session2 / allSessions + sessionInfos); JSON field names of JuiceFS.
struct SessionInfo {
  uint64_t sid = 0;
  int64_t expire = 0;  // unix seconds
  std::string version;
  std::string host_name;
  std::vector<std::string> ip_addrs;
  std::string mount_point;
  std::string mount_time;  // RFC 3339
  uint32_t process_id = 0;
  std::string peer_endpoint;  // tierfs extension; empty when the mount serves no peers
};

// A POSIX record lock, for getlk/setlk. start/end inclusive byte offsets (end = UINT64_MAX: EOF).
struct PosixLock {
  uint32_t type = kLockUnlock;
  uint32_t pid = 0;
  uint64_t start = 0;
  uint64_t end = 0;
};

// Mount-time options of the metadata client.
struct MetaOptions {
  bool read_only = false;
  bool no_bgjob = false;      // do not run the shared background jobs (cleanups, trash expiry)
  int heartbeat_s = 12;       // session heartbeat period; expiry is 5x this (JuiceFS)
  int skip_dir_mtime_ms = 100;  // do not update a parent's mtime more often than this
  // Threads deleting the data of files after their final unlink, in the background (Unlink
  // never waits for the object store). 0: this client deletes nothing itself; the jfs_delfile
  // rows are finished by the hourly job or the next session (JuiceFS --max-deletes).
  int max_deletes = 10;
  // Where the meta metrics go (docs/metrics.md, "Metadata"); nullptr: none. Not owned; must
  // outlive the Meta.
  metrics::Registry* registry = nullptr;
};

// Callbacks from meta into the layers that own data. Meta never includes chunk/ or vfs/: the
// VFS wires these when it mounts.
struct MetaCallbacks {
  // Delete every block object of slice (id, size); called once its refcount drops below 0.
  // Must be safe to call from background threads. Returns errno status.
  std::function<Status(uint64_t id, uint32_t size)> delete_slice;
  // Asks the data layer to compact chunk (ino, indx) (JuiceFS triggers: after a Write whose
  // list length % 100 == 99 or > 350 asynchronously). May be empty. Must not block.
  std::function<void(Ino ino, uint32_t indx)> compact_chunk;
  // Another client changed inode `ino` (attributes, a symlink, a directory's entries), as the
  // engine learnt from its server (Redis client-side cache invalidations): the kernel's caches
  // should drop it. Called from the metadata client's own threads: must not block and must not
  // call into Meta. May be empty.
  std::function<void(Ino ino)> invalidate_inode;
  // Another client changed or removed entry `name` of directory `parent` (same rules).
  std::function<void(Ino parent, const std::string& name)> invalidate_entry;
};

// Counters a chunk's compaction needs: what was read, so the commit can verify nothing changed.
struct ChunkSnapshot {
  std::vector<Slice> slices;  // in list order
  std::string raw;            // the stored bytes of the slices, for compare-and-swap
};

class Meta {
 public:
  virtual ~Meta() = default;

  // ---- volume ----
  // The engine's name for logs and status ("sqlite3", "postgres", "redis").
  virtual std::string Name() const = 0;
  // Writes a new volume setting and the root (and trash) inodes. EEXIST if already formatted
  // and !force; with force, updates only mutable settings (JuiceFS `format --force`).
  virtual Status Init(const Format& format, bool force) = 0;
  // Reads the stored setting. ENOENT when the database holds no volume.
  virtual Result<Format> Load() = 0;
  // EOPNOTSUPP naming the first feature of the loaded volume this client does not implement
  // (Format::UnsupportedFeature, or directory quotas set in the metadata); mount refuses such a
  // volume before it changes anything. REQUIRES: Load() succeeded.
  virtual Status CheckSupported() = 0;
  // Before a new volume is formatted (nothing written yet): EEXIST when the store holds data
  // that is not a volume and !force (a Redis DB with other keys), else OK.
  virtual Status CheckFormattable(bool force) = 0;
  // Registers a session (unless read-only), starts heartbeat and background jobs.
  virtual Status NewSession(const SessionInfo& info, const MetaOptions& options,
                            MetaCallbacks callbacks) = 0;
  // Stops background work, releases this session's locks and sustained inodes.
  virtual Status CloseSession() = 0;
  virtual Result<std::vector<SessionInfo>> ListSessions() = 0;
  virtual Result<StatFs> StatFS(const Context& ctx, Ino ino) = 0;

  // ---- namespace ----
  virtual Result<Entry> Lookup(const Context& ctx, Ino parent, std::string_view name) = 0;
  virtual Result<Attr> GetAttr(const Context& ctx, Ino ino) = 0;
  // Batched GetAttr: one round trip on engines that can pipeline. Result i answers inos[i].
  virtual std::vector<Result<Attr>> GetAttrs(std::span<const Ino> inos) = 0;
  virtual Result<Attr> SetAttr(const Context& ctx, Ino ino, uint32_t mask, const Attr& in) = 0;
  // Creates a file, dir, device, fifo, socket or symlink (type; `target` for symlinks).
  // mode is the caller's mode before umask; `cumask` is applied as JuiceFS does.
  virtual Result<Entry> Mknod(const Context& ctx, Ino parent, std::string_view name, FileType type,
                              uint16_t mode, uint16_t cumask, uint32_t rdev,
                              std::string_view target = {}) = 0;
  // A file losing its last link (and not open here) is recorded in jfs_delfile and its data
  // deleted in the background (MetaOptions::max_deletes); Unlink never waits for the objects.
  // With TrashDays > 0 the entry moves into the trash instead (unless skip_trash).
  virtual Status Unlink(const Context& ctx, Ino parent, std::string_view name,
                        bool skip_trash = false) = 0;
  virtual Status Rmdir(const Context& ctx, Ino parent, std::string_view name,
                       bool skip_trash = false) = 0;
  // Returns the attr of the moved inode. flags: kRenameNoReplace | kRenameExchange. An
  // overwritten target goes to the trash when TrashDays > 0, else is freed as by Unlink.
  virtual Result<Entry> Rename(const Context& ctx, Ino parent_src, std::string_view name_src,
                               Ino parent_dst, std::string_view name_dst, uint32_t flags) = 0;
  virtual Result<Attr> Link(const Context& ctx, Ino ino, Ino parent, std::string_view name) = 0;
  virtual Result<std::string> ReadLink(const Context& ctx, Ino ino) = 0;
  // All entries of a directory, "." and ".." first; with `plus`, attrs filled (full = true).
  virtual Result<std::vector<Entry>> Readdir(const Context& ctx, Ino ino, bool plus) = 0;

  // ---- open files ----
  // Checks access for `flags` (O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC, O_APPEND) and counts the open,
  // so an unlinked inode keeps its data until the last Close.
  virtual Result<Attr> Open(const Context& ctx, Ino ino, uint32_t flags) = 0;
  virtual Status Close(const Context& ctx, Ino ino) = 0;

  // ---- data ----
  // Slices of chunk `indx` in list order (later wins).
  virtual Result<std::vector<Slice>> Read(Ino ino, uint32_t indx) = 0;
  // A new, never-used slice id (allocated in batches).
  virtual Result<uint64_t> NewSlice() = 0;
  // ENOSPC when growing file `ino` from `old_length` to `new_length` bytes would pass the
  // volume's capacity (only the 4 KiB-aligned growth counts, as JuiceFS doWrite charges it);
  // OK when it does not grow. The VFS asks this before it accepts a write, because a commit
  // (Write) never fails for quota: an acknowledged write is never dropped. (Clients writing
  // concurrently may so overshoot the capacity by what they accepted but had not committed.)
  virtual Status CheckGrowth(Ino ino, uint64_t old_length, uint64_t new_length) = 0;
  // Whether the volume has a capacity now (CheckGrowth can fail): lets the caller skip finding
  // the old length when it cannot matter. Cheap (no engine call).
  virtual bool HasCapacity() = 0;
  // Commits `slice` at chunk offset `pos`; the file length grows to cover it; mtime/ctime set
  // to the given time. Must be called in slice-creation order for a file. Never checks quota
  // (see CheckGrowth).
  virtual Status Write(Ino ino, uint32_t indx, uint32_t pos, const Slice& slice, int64_t mtime_s,
                       uint32_t mtime_ns) = 0;
  virtual Result<Attr> Truncate(const Context& ctx, Ino ino, uint64_t length,
                                bool skip_perm_check = false) = 0;
  // mode: FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE bits (Linux).
  virtual Status Fallocate(const Context& ctx, Ino ino, uint32_t mode, uint64_t off,
                           uint64_t size) = 0;
  // Shares slices (refcount + 1) instead of copying bytes. Returns bytes copied.
  virtual Result<uint64_t> CopyFileRange(const Context& ctx, Ino fin, uint64_t off_in, Ino fout,
                                         uint64_t off_out, uint64_t size, uint32_t flags) = 0;

  // ---- compaction (orchestrated by the VFS, which owns the data path) ----
  // The chunk's slices plus their raw stored bytes.
  virtual Result<ChunkSnapshot> ReadChunkForCompaction(Ino ino, uint32_t indx) = 0;
  // Replaces the first snapshot.slices.size() slices by `replacement` iff the stored list still
  // starts with snapshot.raw; old slices lose a reference. EAGAIN when the chunk changed
  // meanwhile (the caller deletes the new slice's objects).
  virtual Status CommitCompaction(Ino ino, uint32_t indx, const ChunkSnapshot& snapshot,
                                  const std::vector<Slice>& replacement) = 0;

  // ---- xattrs ---- (ENODATA when absent; ERANGE is the caller's job)
  virtual Result<std::string> GetXattr(const Context& ctx, Ino ino, std::string_view name) = 0;
  // flags: XATTR_CREATE (1) / XATTR_REPLACE (2).
  virtual Status SetXattr(const Context& ctx, Ino ino, std::string_view name,
                          std::string_view value, uint32_t flags) = 0;
  virtual Result<std::vector<std::string>> ListXattr(const Context& ctx, Ino ino) = 0;
  virtual Status RemoveXattr(const Context& ctx, Ino ino, std::string_view name) = 0;

  // ---- locks ---- (owner: the kernel's lock owner; EAGAIN on conflict when !block)
  virtual Status Flock(const Context& ctx, Ino ino, uint64_t owner, uint32_t type, bool block) = 0;
  virtual Result<PosixLock> GetLk(const Context& ctx, Ino ino, uint64_t owner,
                                  const PosixLock& probe) = 0;
  virtual Status SetLk(const Context& ctx, Ino ino, uint64_t owner, bool block,
                       const PosixLock& lock) = 0;

  // ---- maintenance ----
  // Deletes data of files whose last link and last open are gone (every jfs_delfile row, of
  // any client), now, in the calling thread.
  virtual Status CleanupDeletedFiles() = 0;
  // Waits until every data deletion this client has queued (final unlinks, last closes,
  // leftovers found at NewSession) is finished: objects deleted and jfs_delfile rows removed.
  // For tests and for the VFS before unmount; CloseSession calls it. The status is the first
  // deletion error since the previous drain (the rows of failed deletions stay, for a later
  // pass). Engines that delete synchronously return OK at once.
  virtual Status DrainDeletions() { return Status(); }
  // Writes the statistics this client batches (the Redis engine writes usage and directory
  // stats once a second: meta/redis/stat_batch.h) to the store now. For tests and tools that
  // read the store directly; CloseSession calls it. Errors: the store's (the deltas stay
  // pending). Engines that write them in each transaction return OK at once.
  virtual Status FlushStats() { return Status(); }
};

// Opens the metadata engine named by a META-URL ("sqlite3:///path/db", ...). EINVAL for a
// malformed URL or unknown scheme (the message lists the known ones), and for a bad value of
// an id pool option of the query (inode_batch, chunk_batch, inode_low_watermark,
// chunk_low_watermark, metaprime: docs/commands.md "META-URL options"); ENOENT when
// `must_exist` and the database file is missing; EIO when the database cannot be opened or is
// corrupt. The returned engine is not yet formatted or loaded.
Result<std::unique_ptr<Meta>> OpenMeta(std::string_view url, bool must_exist);

}  // namespace tierfs::meta
