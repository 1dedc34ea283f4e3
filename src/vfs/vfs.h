// Vfs: the file system as the kernel sees it, without FUSE: inodes, open-file handles, the
// write buffers (FileWriter), reads of committed slices, directory handles, the internal files
// of the mount root (.stats, .config) and the kernel-cache policy (attr/entry timeouts).
// Model: JuiceFS pkg/vfs. The FUSE adapter (src/fuse) maps each request to one call here.
//
// Errors: errno Status (what the FUSE reply carries). Thread-safety: every method may be called
// concurrently from libfuse's worker threads. Units: bytes; timeouts in seconds.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <atomic>
#include <condition_variable>
#include <thread>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chunk/chunk_store.h"
#include "meta/meta.h"
#include "metrics/registry.h"
#include "util/status.h"
#include "vfs/page_cache_policy.h"
#include "vfs/slice_view.h"

namespace tierfs {
class ThreadPool;
}

namespace tierfs::vfs {

class Compactor;
class FileWriter;
struct InodeState;
struct Handle;

struct VfsConfig {
  double attr_timeout = 1.0;       // seconds the kernel may cache attributes
  double entry_timeout = 1.0;      // seconds the kernel may cache file dentries
  double dir_entry_timeout = 1.0;  // seconds the kernel may cache directory dentries
  std::string mountpoint;
  std::string meta_url;            // shown in .config (password redacted by the caller)
  meta::Format format;             // the volume setting
  std::string cache_dir;
  uint64_t buffer_size = 300ULL << 20;
  int commit_threads = 8;          // slices finished + committed concurrently (across files)
  int compact_threads = 2;
  // The mount's object-request settings, shown in .config "Chunk" under JuiceFS's chunk.Config
  // names (the object wrappers apply them; the VFS only shows them).
  int max_uploads = 20;
  int max_downloads = 200;
  int io_retries = 10;
  int64_t upload_limit = 0;    // bytes/s; 0 = none
  int64_t download_limit = 0;  // bytes/s; 0 = none
  int64_t get_timeout_ms = 60'000;
  int64_t put_timeout_ms = 60'000;
  // Write-back (when the chunk store stages): files larger than this (bytes) are uploaded
  // directly (`--writeback-max-size`; 0 = no limit).
  uint64_t writeback_max_size = 25ULL << 20;
  bool writeback = false;      // shown in .config
  int64_t upload_delay_ms = 0;  // shown in .config
};

// What lookup/mknod/create reply: the inode, its attributes and how long the kernel may cache.
struct EntryOut {
  meta::Ino ino = 0;
  struct stat attr {};
  double attr_timeout = 0;
  double entry_timeout = 0;
};

struct AttrOut {
  struct stat attr {};
  double attr_timeout = 0;
};

struct OpenOut {
  uint64_t fh = 0;
  bool keep_cache = false;  // the kernel may keep cached pages (file unchanged since last open)
  bool direct_io = false;   // internal files: no page cache, content produced at open
};

struct DirEntryOut {
  std::string name;
  EntryOut entry;  // ino and st_mode always; full attr for readdirplus
};

// FUSE's setattr `to_set` bits, repeated here so vfs never includes fuse headers.
inline constexpr int kSetMode = 1 << 0;
inline constexpr int kSetUid = 1 << 1;
inline constexpr int kSetGid = 1 << 2;
inline constexpr int kSetSize = 1 << 3;
inline constexpr int kSetAtime = 1 << 4;
inline constexpr int kSetMtime = 1 << 5;
inline constexpr int kSetAtimeNow = 1 << 7;
inline constexpr int kSetMtimeNow = 1 << 8;
inline constexpr int kSetCtime = 1 << 10;

class Vfs {
 public:
  // meta, store and registry are not owned and must outlive the Vfs.
  Vfs(meta::Meta* meta, chunk::ChunkStore* store, metrics::Registry* registry, VfsConfig config);
  ~Vfs();
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  // Callbacks meta needs from the data layer (slice deletion, compaction requests, and the
  // invalidations of other clients' changes, passed on to the notifier).
  meta::MetaCallbacks Callbacks();
  // Where invalidations go: the FUSE layer sets it once mounted and clears it (empty functions)
  // before unmounting. Until set, invalidations are dropped. Thread-safe.
  struct Notifier {
    std::function<void(meta::Ino)> inode;
    std::function<void(meta::Ino, const std::string&)> entry;
  };
  void SetNotifier(Notifier n);
  // Flushes every open writer; waits for background compactions. Called before unmount.
  void Shutdown();

  Result<EntryOut> Lookup(const meta::Context& ctx, meta::Ino parent, std::string_view name);
  Result<AttrOut> GetAttr(const meta::Context& ctx, meta::Ino ino);
  // to_set: kSet* bits; fields taken from `in`; `fh` (0 = none) of the handle it came through.
  Result<AttrOut> SetAttr(const meta::Context& ctx, meta::Ino ino, int to_set,
                          const struct stat& in, uint64_t fh);
  // mode carries S_IF* type bits (mknod(2) semantics); umask from ctx.umask.
  Result<EntryOut> Mknod(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                         uint32_t mode, uint32_t rdev);
  Result<EntryOut> Mkdir(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                         uint32_t mode);
  Result<EntryOut> Symlink(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                           std::string_view target);
  Result<std::string> ReadLink(const meta::Context& ctx, meta::Ino ino);
  Status Unlink(const meta::Context& ctx, meta::Ino parent, std::string_view name);
  Status Rmdir(const meta::Context& ctx, meta::Ino parent, std::string_view name);
  Status Rename(const meta::Context& ctx, meta::Ino parent, std::string_view name,
                meta::Ino new_parent, std::string_view new_name, uint32_t flags);
  Result<EntryOut> Link(const meta::Context& ctx, meta::Ino ino, meta::Ino new_parent,
                        std::string_view new_name);

  // Files. flags are open(2) flags.
  Result<std::pair<EntryOut, OpenOut>> Create(const meta::Context& ctx, meta::Ino parent,
                                              std::string_view name, uint32_t mode, int flags);
  Result<OpenOut> Open(const meta::Context& ctx, meta::Ino ino, int flags);
  Result<size_t> Read(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t off,
                      std::span<char> buf);
  Result<size_t> Write(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t off,
                       std::span<const char> data);
  // close(2) of a descriptor: commits its writes; drops the POSIX locks of `lock_owner`.
  Status Flush(const meta::Context& ctx, meta::Ino ino, uint64_t fh, uint64_t lock_owner);
  Status Fsync(const meta::Context& ctx, meta::Ino ino, uint64_t fh);
  Status Release(meta::Ino ino, uint64_t fh);
  Status Fallocate(const meta::Context& ctx, meta::Ino ino, uint64_t fh, int mode, uint64_t off,
                   uint64_t len);
  Result<size_t> CopyFileRange(const meta::Context& ctx, meta::Ino ino_in, uint64_t fh_in,
                               uint64_t off_in, meta::Ino ino_out, uint64_t fh_out,
                               uint64_t off_out, size_t len, int flags);

  // Directories: a listing is taken by the ReadDir at offset 0 (after opendir, and again after
  // rewinddir) and served by index to the ReadDirs that continue it (offset = index + 1 of the
  // last entry returned), so a listing in several replies is one consistent snapshot.
  Result<uint64_t> OpenDir(const meta::Context& ctx, meta::Ino ino, bool plus);
  // The handle's snapshot (a pointer valid until the next ReadDir of `fh` or ReleaseDir); the
  // caller returns entries [off, end). off == 0 lists the directory afresh.
  Result<const std::vector<DirEntryOut>*> ReadDir(const meta::Context& ctx, meta::Ino ino,
                                                  uint64_t fh, uint64_t off, bool plus);
  Status ReleaseDir(meta::Ino ino, uint64_t fh);

  Result<struct statvfs> StatFs(const meta::Context& ctx, meta::Ino ino);

  Result<std::string> GetXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name);
  Status SetXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name,
                  std::string_view value, int flags);
  Result<std::vector<std::string>> ListXattr(const meta::Context& ctx, meta::Ino ino);
  Status RemoveXattr(const meta::Context& ctx, meta::Ino ino, std::string_view name);
  Status Access(const meta::Context& ctx, meta::Ino ino, int mask);

  // Locks. owner = the kernel's lock owner.
  Status Flock(const meta::Context& ctx, meta::Ino ino, uint64_t owner, int op);
  Result<meta::PosixLock> GetLk(const meta::Context& ctx, meta::Ino ino, uint64_t owner,
                                const meta::PosixLock& lock);
  Status SetLk(const meta::Context& ctx, meta::Ino ino, uint64_t owner, const meta::PosixLock& lock,
               bool block);

  // Compacts chunk `indx` of `ino` now, in the calling thread (what the background compactor
  // does when a slice list grows long). EAGAIN when the chunk changed meanwhile.
  Status CompactChunk(meta::Ino ino, uint32_t indx);

  const VfsConfig& config() const { return config_; }

 private:
  friend class Compactor;
  std::shared_ptr<InodeState> Inode(meta::Ino ino, bool create);
  // The inode's state with its open count raised (created on the first open); and the reverse,
  // which drops the state when the last handle goes and nothing is left to commit.
  std::shared_ptr<InodeState> AcquireInode(meta::Ino ino);
  void ReleaseInode(meta::Ino ino, const std::shared_ptr<InodeState>& st);
  Status FlushState(InodeState& st);
  void AddPendingLength(meta::Ino ino, meta::Attr& attr);
  Result<meta::Attr> RemovedDirAttr(meta::Ino ino, Status gone);
  void FlusherLoop();
  Result<std::vector<Piece>> ChunkPieces(InodeState& st, meta::Ino ino, uint32_t indx);
  Status FlushInode(meta::Ino ino);
  Result<uint64_t> FileLength(InodeState& st, const meta::Context& ctx, meta::Ino ino);
  void InvalidateChunks(meta::Ino ino);
  // Meta returned `a` for a file: an open file's cached slice lists and length are dropped
  // if its length or mtime moved (close-to-open, and readers of an open descriptor once the
  // kernel re-reads the attributes). Thread-safety: any thread.
  void SawAttr(meta::Ino ino, const meta::Attr& a);
  void InvalidateChunk(meta::Ino ino, uint32_t indx);
  void RelieveBufferPressure();
  // The inode's writer, created on first use. REQUIRES: st.mu not held.
  FileWriter* WriterOf(InodeState& st, meta::Ino ino);
  // Read of committed bytes; on a missing object re-reads the slice lists (see Read).
  Result<size_t> ReadCommitted(InodeState& st, const meta::Context& ctx, meta::Ino ino,
                               uint64_t off, std::span<char> buf);
  void FillStat(meta::Ino ino, const meta::Attr& attr, struct stat* st);
  EntryOut MakeEntry(meta::Ino ino, const meta::Attr& attr);
  uint64_t NewHandle(std::shared_ptr<Handle> h);
  std::shared_ptr<Handle> GetHandle(uint64_t fh);
  std::shared_ptr<Handle> TakeHandle(uint64_t fh);
  Result<OpenOut> OpenInternal(meta::Ino ino, int flags);
  // Runs one .control command (control_file.cc) and returns its reply text.
  std::string Control(std::string_view command);
  Result<meta::Attr> InternalAttr(meta::Ino ino) const;

  meta::Meta* meta_;
  chunk::ChunkStore* store_;
  metrics::Registry* registry_;
  VfsConfig config_;
  std::unique_ptr<ThreadPool> commit_pool_;
  std::unique_ptr<Compactor> compactor_;
  PageCachePolicy page_cache_;

  std::mutex inodes_mu_;
  std::unordered_map<meta::Ino, std::shared_ptr<InodeState>> inodes_;
  std::mutex handles_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Handle>> handles_;
  std::atomic<uint64_t> next_fh_{1};
  // Commits slices of files idle for a while (JuiceFS does the same after ~1 s), so buffered
  // data neither waits for close nor pins the write budget that other files need.
  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool flusher_stop_ = false;
  std::thread flusher_;
  metrics::Gauge* open_handles_ = nullptr;
  std::mutex notifier_mu_;
  std::shared_ptr<const Notifier> notifier_;
};

}  // namespace tierfs::vfs
