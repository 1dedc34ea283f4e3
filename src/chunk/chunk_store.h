// ChunkStore: slices <-> block objects. A slice (id, size) is stored as ceil(size/BlockSize)
// objects named by BlockKey() (docs/format.md, JuiceFS pkg/chunk/cached_store.go); each object
// is the block's bytes through the volume's codec (none, lz4 block, zstd frame).
// The store reads through tier 1 (local disk cache) to tier 3 (object store) and writes blocks
// while the slice is still being filled, within a memory budget (`--buffer-size`) that writers
// consult before they write (Buffer, WaitForBuffer) instead of letting it grow.
//
// Thread-safety: ChunkStore methods are thread-safe. A SliceWriter is used by one writer at a
// time (the VFS serialises calls per slice) but uploads run on the store's pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "chunk/cache_file.h"
#include "util/status.h"

namespace tierfs::object {
class ObjectStore;
}
namespace tierfs::metrics {
class Registry;
}

namespace tierfs::chunk {

struct ChunkConfig {
  uint32_t block_size = 4 << 20;     // bytes; the volume's BlockSize
  std::string compression = "none";  // none | lz4 | zstd
  bool hash_prefix = false;          // volume's HashPrefix (key layout)
  uint64_t buffer_size = 300ULL << 20;  // bytes of write buffers before writers block
  int max_uploads = 20;                 // concurrent PUTs
  int max_deletes = 10;                 // concurrent DELETEs, shared by every Remove
  std::string cache_dir;                // tier-1 directory root ("" = no disk cache)
  uint64_t cache_size = 100ULL << 30;   // bytes
  std::string volume_uuid;              // cache sub-directory (JuiceFS {cache-dir}/{UUID}/raw)
  // Additions (chunk branch), appended so existing designated initializers stay valid:
  uint64_t read_cache_size = 64ULL << 20;  // bytes of recently read blocks kept in memory
  int prefetch = 1;            // read-ahead threads for sequential reads (0 = no read-ahead)
  // `--max-readahead`: bytes a sequential reader may have fetched ahead of it (whole blocks,
  // rounded down; 0 = prefetch blocks).
  uint64_t max_readahead = 0;
  // false when a ranged GET costs the whole object anyway (the encryption wrapper fetches and
  // decrypts all of it): small random reads then load and keep whole blocks instead.
  bool ranged_reads = true;
  // Write-back (`--writeback`, staging.h): blocks of writers made with WriteMode::kStage are
  // staged under {cache_dir}/{volume_uuid}/rawstaging/ and uploaded later. Needs cache_dir.
  bool writeback = false;
  std::chrono::milliseconds upload_delay{0};
  int upload_start_hour = -1;  // `--upload-hours START,END`; -1 = any hour
  int upload_end_hour = -1;
  bool stage_fsync = true;     // fdatasync staged blocks before the slice commit
  int max_stage_write = 1000;  // concurrent stage writes; more are uploaded directly
  std::chrono::milliseconds upload_deadline{0};  // staging.h StagingOptions::deadline
  double free_space_ratio = 0.1;  // keep this fraction of the cache disk free
  // Tier 1 (disk_cache.h): cache_dir may list several directories separated by ':'.
  ChecksumLevel cache_checksum = ChecksumLevel::kExtend;  // --verify-cache-checksum
  Eviction cache_eviction = Eviction::kLru;               // --cache-eviction
  std::chrono::seconds cache_expire{0};                   // --cache-expire; 0 = never
  bool cache_partial_only = false;  // --cache-partial-only: keep only blocks < block_size
};

// Where a writer's blocks go: the object store before Finish returns, or (write-back) the
// staging directory, uploaded later.
enum class WriteMode { kUpload, kStage };

// Writes one slice. Offsets are within the slice (0..64 MiB).
class SliceWriter {
 public:
  virtual ~SliceWriter() = default;
  virtual uint64_t id() const = 0;
  // Copies data into the slice buffer at `off`. Never waits for the memory budget: callers
  // throttle before they write (ChunkStore::Buffer). EIO if an earlier upload of this slice
  // failed.
  virtual Status WriteAt(std::span<const char> data, uint32_t off) = 0;
  // Starts uploading every full block that ends at or before `off` (asynchronous).
  virtual Status FlushTo(uint32_t off) = 0;
  // Uploads the remaining bytes as the slice's last block(s) of total `length` and waits until
  // every block of the slice is durable. Returns EIO naming the object on failure.
  virtual Status Finish(uint32_t length) = 0;
  // Drops the buffer; deletes blocks already uploaded (or staged).
  virtual void Abort() = 0;
  // A kStage writer's file outgrew the write-back size limit: blocks handed over from now are
  // uploaded, and Finish uploads the blocks this writer staged before it returns (a staged
  // block whose upload fails then stays staged and is retried, so Finish still succeeds).
  // No effect on a kUpload writer.
  virtual void UploadDirectly() = 0;
};

enum class BufferState { kRoom, kDraining, kFull };

// `tierfs warmup` on one slice: fill tier 1 with its blocks, count what tier 1 (or staging)
// holds, or drop its blocks from tier 1 (staged blocks are kept: they are not uploaded yet).
enum class CacheOp { kWarm, kCheck, kEvict };
struct CacheCount {
  uint64_t blocks = 0;         // blocks of the slices looked at
  uint64_t bytes = 0;          // their bytes
  uint64_t cached_blocks = 0;  // of those, held locally (after the op)
  uint64_t cached_bytes = 0;
  CacheCount& operator+=(const CacheCount& o) {
    blocks += o.blocks, bytes += o.bytes, cached_blocks += o.cached_blocks;
    cached_bytes += o.cached_bytes;
    return *this;
  }
};

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;
  // Reads buf.size() bytes at `off` of slice (id, size) into buf. Returns bytes read (short
  // only at the slice end). ENOENT at once when a block object is missing (the caller decides
  // whether a concurrent compaction explains it), EIO when one is corrupt or unreadable (after
  // the object store's own retries, if it retries); the message names the object key.
  virtual Result<size_t> ReadSlice(uint64_t id, uint32_t size, uint32_t off,
                                   std::span<char> buf) = 0;
  virtual std::unique_ptr<SliceWriter> NewWriter(uint64_t id,
                                                WriteMode mode = WriteMode::kUpload) = 0;
  // Whether write-back staging is in use (config.writeback and a usable staging directory).
  virtual bool WritesBack() const { return false; }
  // Uploads every staged block now, waiting up to `max` (`tierfs flush`, `umount --flush`):
  // OK when none is left; ETIMEDOUT or EIO (uploads failing) with the count left otherwise.
  virtual Status FlushStaging(std::chrono::milliseconds max) {
    (void)max;
    return Status::Ok();
  }
  // Deletes every block object of slice (id, size) (and its tier-1 copies). A block still
  // staged is removed from staging and never uploaded (no DELETE is sent for it).
  virtual Status Remove(uint64_t id, uint32_t size) = 0;
  // Applies `op` to every block of slice (id, size). EINVAL without a disk cache; for kWarm the
  // first failing GET's error (ENOENT, EIO naming the key).
  virtual Result<CacheCount> CacheSlice(uint64_t id, uint32_t size, CacheOp op) {
    (void)id, (void)size, (void)op;
    return Err(EINVAL, "no disk cache");
  }
  // Bytes of write buffers in use (for metrics and tests).
  virtual uint64_t UsedBuffer() const = 0;
  // Write back-pressure (`--buffer-size`), asked by a writer before it copies: kRoom (write),
  // kDraining (over the limit; uploads in flight will make room: WaitForBuffer), kFull (over
  // the limit even without those: commit buffered slices so their partial blocks upload).
  virtual BufferState Buffer() const = 0;
  // Waits until the buffer use changes (an upload starts or ends, a buffer is dropped) or `max`
  // passes.
  virtual void WaitForBuffer(std::chrono::milliseconds max) = 0;
};

// Object key of block `indx` (length `len` bytes) of slice `id`: JuiceFS's
// "chunks/{id/1e6}/{id/1e3}/{id}_{indx}_{len}" or, with hash_prefix,
// "chunks/{id%256:02X}/{id/1e6}/{id}_{indx}_{len}". Relative to the volume prefix "{Name}/".
std::string BlockKey(uint64_t id, uint32_t indx, uint32_t len, bool hash_prefix);
// The block length `len` that a key ending in "_{len}" names (decimal, at most UINT32_MAX), or
// nullopt for other names. Used where only the key tells a file's logical size (tier 1,
// staging).
std::optional<uint32_t> BlockKeyLength(std::string_view key);

// `store` is not owned and must outlive the ChunkStore; `registry` may be null.
std::unique_ptr<ChunkStore> NewChunkStore(object::ObjectStore* store, const ChunkConfig& config,
                                          metrics::Registry* registry);

}  // namespace tierfs::chunk
