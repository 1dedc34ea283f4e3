// CachedStore: the ChunkStore over one ObjectStore (tier 3), with an in-memory LRU of recently
// read blocks (BlockCache), an optional tier-1 disk cache of downloaded blocks (DiskCache, when
// config.cache_dir is set: reads go memory -> disk -> object store), single-flighted block
// fetches, read-ahead of the next block on sequential reads, and block uploads on a bounded
// pool within a MemoryBudget; block deletes run on their own pool of max_deletes threads.
// Model: JuiceFS pkg/chunk/cached_store.go (our own code; facts from FORMAT.md §3).
//
// Block i of slice (id, size) is object BlockKey(id, i, min(bs, size - i*bs)) holding
// codec(plaintext). Reads GET the whole object, decode it, keep it in the LRU and copy out;
// except, as JuiceFS (FORMAT.md §3), a small random read (at most 1/4 of a block, not starting
// where the previous read of the same slice ended) of a block not in memory: it reads only its
// bytes from the disk tier when the block is there, else, with compression "none", at a
// non-zero offset into a block not being fetched, GETs only its bytes; either way it caches
// nothing. A read that starts where the previous read of the same slice ended counts as
// sequential and keeps the whole-block path (it will want the rest); only reads that are not
// small random ones start read-ahead of the next blocks.
// Every object request is made once: retrying transient failures is the object store's job
// (object/retry_store.h, stacked by the mount), so that the chunk layer neither retries what
// cannot heal (a missing or corrupt object) nor multiplies the store's own retries.
// Errors of the store become: ENOENT stays ENOENT (reads), EINVAL stays EINVAL, EBADMSG
// (corrupt data) and everything else EIO, each message naming the object key.
//
// Ownership: `store` and `registry` are not owned and must outlive the CachedStore. Writers
// must be finished or aborted before the store is destroyed (the destructor still runs the
// uploads already queued). Thread-safety: see chunk_store.h.
#pragma once

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chunk/block_cache.h"
#include "chunk/chunk_store.h"
#include "chunk/codec.h"
#include "chunk/disk_tier.h"
#include "chunk/memory_budget.h"
#include "chunk/staging.h"
#include "util/thread_pool.h"

namespace tierfs::metrics {
class Counter;
}

namespace tierfs::chunk {

// A slice never exceeds a chunk: 64 MiB (JuiceFS ChunkBits = 26).
inline constexpr uint32_t kMaxSliceSize = 64u << 20;

class CachedStore final : public ChunkStore {
 public:
  // An unusable config (unknown compression, block_size 0) yields a store whose every
  // operation fails with EINVAL saying why.
  CachedStore(object::ObjectStore* store, const ChunkConfig& config, metrics::Registry* registry);
  ~CachedStore() override;

  Result<size_t> ReadSlice(uint64_t id, uint32_t size, uint32_t off, std::span<char> buf) override;
  std::unique_ptr<SliceWriter> NewWriter(uint64_t id, WriteMode mode = WriteMode::kUpload) override;
  bool WritesBack() const override { return staging_ != nullptr; }
  Status FlushStaging(std::chrono::milliseconds max) override;
  Result<CacheCount> CacheSlice(uint64_t id, uint32_t size, CacheOp op) override;
  Status Remove(uint64_t id, uint32_t size) override;
  uint64_t UsedBuffer() const override { return budget_.used(); }
  BufferState Buffer() const override;
  void WaitForBuffer(std::chrono::milliseconds max) override { budget_.WaitForChange(max); }

  // For SliceWriter and tests.
  const ChunkConfig& config() const { return config_; }
  const Status& init_status() const { return init_status_; }
  MemoryBudget& budget() { return budget_; }
  BlockCache& cache() { return cache_; }
  // Tier 1, or null when config.cache_dir is empty or unusable (then disk_status() says why:
  // the store works without it).
  DiskTier* disk_cache() { return disk_.get(); }
  const Status& disk_status() const { return disk_status_; }
  ThreadPool& upload_pool() { return *upload_pool_; }
  // The single thread that writes downloaded blocks to the disk tier (null without one).
  ThreadPool* cache_fill_pool() { return cache_fill_pool_.get(); }
  std::string Key(uint64_t id, uint32_t indx, uint32_t len) const {
    return BlockKey(id, indx, len, config_.hash_prefix);
  }
  // Encodes and PUTs one block; EIO naming the key when the store fails.
  Status PutBlock(const std::string& key, const std::string& plain);
  // With `stage` and a staging directory, stages the block (true); when staging refuses it
  // (busy, full or failing disk) or without `stage`, PUTs it (false). The PUT's error.
  Result<bool> StoreBlock(const std::string& key, const std::string& plain, bool stage);
  // Write-back staging, or null (config.writeback off, no cache_dir, or unusable: then
  // staging_status() says why and blocks are uploaded directly).
  Staging* staging() { return staging_.get(); }
  const Status& staging_status() const { return staging_status_; }
  // DELETEs one object; drops it from the read cache.
  Status DeleteBlock(const std::string& key);
  // DeleteBlock of every key on the deletion pool (at most max_deletes at once, shared by all
  // callers); waits for all and returns the error of the first failing key in `keys` order.
  // REQUIRES: not called from a task of the deletion pool.
  Status DeleteBlocks(const std::vector<std::string>& keys);

 private:
  struct Flight;
  // Write-back staging in `root` (the first cache directory's rawstaging/: its uploaded
  // blocks are renamed into that directory's raw/).
  void OpenStaging(const std::string& root, metrics::Registry* registry);
  // The plaintext of block `key` (`len` bytes): LRU, else joins an in-flight fetch, else GETs.
  Result<BlockData> LoadBlock(const std::string& key, uint32_t len);
  Result<BlockData> FetchBlock(const std::string& key, uint32_t len);
  // Starts fetching block `key` in the background unless cached or in flight.
  void Prefetch(const std::string& key, uint32_t len);
  // The chunk layer's error for a failed read of `key` (see the top of this file).
  Status ReadError(const std::string& key, const Status& st) const;
  // Queues writing `block` to the disk tier (dropped when the queue is full or a fill of `key`
  // is already queued), and the fill task itself.
  void QueueFill(const std::string& key, const BlockData& block);
  void Fill(const std::string& key, const std::string& data);
  // Records the read [off, off+n) of slice `id`; true if it starts where the last one ended.
  bool NoteRead(uint64_t id, uint32_t off, size_t n);
  // A small random read of `out.size()` bytes at `boff` of block `key` (`blen` bytes) without
  // loading the whole block: from the disk tier, else a ranged GET. False when the
  // whole-block path should serve it (in memory, in flight, compressed, at the block start);
  // the ranged GET's error (ReadError) when it failed.
  Result<bool> ReadSmall(const std::string& key, uint32_t blen, uint32_t boff,
                         std::span<char> out);
  // One ranged GET of those bytes into `out`; false if it came back short (the caller then
  // takes the whole-block path, which checks the object's length and reports).
  Result<bool> ReadRange(const std::string& key, uint32_t boff, std::span<char> out);

  object::ObjectStore* store_;
  const ChunkConfig config_;
  Status init_status_;
  std::unique_ptr<Codec> codec_;
  metrics::Counter* hits_ = nullptr;
  metrics::Counter* misses_ = nullptr;
  MemoryBudget budget_;
  BlockCache cache_;
  std::unique_ptr<DiskTier> disk_;
  Status disk_status_;
  std::unique_ptr<Staging> staging_;
  Status staging_status_;
  metrics::Counter* hit_bytes_ = nullptr;
  metrics::Counter* miss_bytes_ = nullptr;
  std::mutex flights_mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  // Where the last read of a slice ended, direct-mapped by slice id: a collision only loses
  // the sequential hint. 64 entries cover many more concurrently read files than read-ahead
  // threads.
  struct LastRead {
    uint64_t id = 0;
    uint64_t end = 0;
  };
  std::mutex last_mu_;
  std::array<LastRead, 64> last_reads_{};
  // Keys with a disk-tier fill queued or running, and whether DeleteBlock ran meanwhile: the
  // fill then neither writes nor keeps the block (a deleted object's block would stay on disk,
  // indexed but unreachable, until evicted).
  std::mutex fills_mu_;
  std::unordered_map<std::string, bool> fills_;
  // Declared last: destroyed first, running queued tasks while the members above still live
  // (the staging uploaders are stopped first of all, in the destructor).
  std::unique_ptr<ThreadPool> prefetch_pool_;
  std::unique_ptr<ThreadPool> upload_pool_;
  std::unique_ptr<ThreadPool> delete_pool_;
  // Writes downloaded blocks to the disk tier off the read path; a full queue drops the copy.
  std::unique_ptr<ThreadPool> cache_fill_pool_;
};

}  // namespace tierfs::chunk
