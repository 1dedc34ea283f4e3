#include "chunk/cached_store.h"

#include <algorithm>
#include <cstring>

#include "chunk/slice_writer.h"
#include "object/metrics_bridge.h"
#include "object/object_store.h"
#include "util/log.h"

namespace tierfs::chunk {
namespace mb = object::mbridge;

// Pool queue bounds. No task waits for a task queued behind it in its own pool (an upload PUTs
// and releases budget; a read-ahead joins only fetches whose leader is already running, since a
// fetch is registered when it starts, not when it is queued), so no bound can deadlock; a bound
// only decides when the submitter waits.
//
// Read-ahead never queues more than this many blocks: it must not compete with demand reads.
// It is submitted with TrySubmit and dropped when the queue is full (readers never wait on it).
constexpr size_t kMaxQueuedPrefetch = 4;
// Blocks waiting for the disk tier (4 MiB each by default): bounds the memory they pin.
constexpr size_t kMaxQueuedCacheFills = 16;

// Deletes: a queue as long as the pool is wide; DeleteBlocks waits for its keys anyway.
//
// Uploads: writers are meant to wait in the memory budget, not in the queue. Every queued block
// holds at least min(kMinWriteBuffer, block_size) bytes of budget, and writers stop admitting
// writes at the limit (it is exceeded only by the copies already admitted), so twice the limit
// in entries is rarely all taken; when it is, Submit waits for an upload, which needs no lock.
size_t UploadQueueCapacity(const ChunkConfig& c) {
  uint64_t min_charge = std::max<uint64_t>(1, std::min<uint64_t>(kMinWriteBuffer, c.block_size));
  return static_cast<size_t>(2 * c.buffer_size / min_charge + 64);
}

struct CachedStore::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Result<BlockData> result = BlockData();
};

CachedStore::CachedStore(object::ObjectStore* store, const ChunkConfig& config,
                         metrics::Registry* registry)
    : store_(store),
      config_(config),
      budget_(config.buffer_size,
              [g = mb::GetGauge(registry, "tierfs_used_buffer_size_bytes",
                                "size of currently used buffer.")](int64_t d) { mb::Add(g, d); }),
      cache_(config.read_cache_size) {
  if (auto codec = NewCodec(config.compression)) {
    codec_ = std::move(*codec);
  } else {
    init_status_ = codec.error();
  }
  if (config.block_size == 0) init_status_ = Status(EINVAL, "block size must not be 0");
  hits_ = mb::GetCounter(registry, "tierfs_blockcache_hits", "read from cached block");
  misses_ = mb::GetCounter(registry, "tierfs_blockcache_miss", "missed read from cached block");
  hit_bytes_ = mb::GetCounter(registry, "tierfs_blockcache_hit_bytes", "read bytes from cached block");
  miss_bytes_ = mb::GetCounter(registry, "tierfs_blockcache_miss_bytes",
                               "missed bytes from cached block");
  // "{dir}/{volume_uuid}/" of every cache directory: raw/ and (the first's) rawstaging/.
  std::vector<std::string> volume_dirs;
  if (config.cache_size > 0) {
    for (const std::string& dir : SplitCacheDirs(config.cache_dir)) {
      volume_dirs.push_back(dir + "/" + (config.volume_uuid.empty() ? "" : config.volume_uuid + "/"));
    }
  }
  if (!volume_dirs.empty()) {
    std::vector<std::string> roots;
    for (const std::string& dir : volume_dirs) roots.push_back(dir + "raw/");
    DiskCacheOptions o;
    o.capacity = config.cache_size;
    o.checksum = config.cache_checksum;
    o.eviction = config.cache_eviction;
    o.expire = config.cache_expire;
    o.free_space_ratio = config.free_space_ratio;
    o.registry = registry;
    if (auto disk = DiskTier::Open(roots, o)) {
      disk_ = std::move(*disk);
    } else {
      disk_status_ = disk.error();
    }
  }
  if (config.writeback && volume_dirs.empty()) {
    staging_status_ = Status(EINVAL, "write-back needs a cache directory (--cache-dir, --cache-size > 0)");
  } else if (config.writeback) {
    OpenStaging(volume_dirs[0] + "rawstaging/", registry);
  }
  if (config.prefetch > 0) {
    prefetch_pool_ = std::make_unique<ThreadPool>(config.prefetch, kMaxQueuedPrefetch);
  }
  upload_pool_ = std::make_unique<ThreadPool>(std::max(1, config.max_uploads),
                                              UploadQueueCapacity(config));
  // A separate pool: deleting a large file must not delay uploads (and vice versa).
  const size_t deleters = static_cast<size_t>(std::max(1, config.max_deletes));
  delete_pool_ = std::make_unique<ThreadPool>(deleters, deleters);
  if (disk_) cache_fill_pool_ = std::make_unique<ThreadPool>(1, kMaxQueuedCacheFills);
}

void CachedStore::OpenStaging(const std::string& root, metrics::Registry* registry) {
  const ChunkConfig& c = config_;
  StagingOptions o;
  o.root = root;
  o.checksum = c.cache_checksum;
  o.deadline = c.upload_deadline;
  o.upload_delay = c.upload_delay;
  o.upload_start_hour = c.upload_start_hour;
  o.upload_end_hour = c.upload_end_hour;
  o.fsync = c.stage_fsync;
  o.uploaders = std::max(1, c.max_uploads);
  o.max_stage_write = std::max(1, c.max_stage_write);
  o.free_space_ratio = c.free_space_ratio / 2;  // JuiceFS: staging may use 1 - ratio/2 of the disk
  auto uploaded = [this](const std::string& key, const std::string& path) {
    if (disk_) disk_->Adopt(key, path);  // the uploaded block keeps serving reads from tier 1
  };
  auto remove = [this](const std::string& key) { (void)store_->Delete(key); };
  auto put = [this](const std::string& key, const std::string& plain) { return PutBlock(key, plain); };
  if (auto st = Staging::Open(o, put, uploaded, remove, registry)) {
    staging_ = std::move(*st);
  } else {
    staging_status_ = st.error();
    TIERFS_LOG_ERROR("write-back off: {}", st.error().ToString());
  }
}

CachedStore::~CachedStore() {
  staging_.reset();  // its uploaders call PutBlock and the disk tier
}

Result<bool> CachedStore::StoreBlock(const std::string& key, const std::string& plain, bool stage) {
  if (stage && staging_) {
    Status st = staging_->Stage(key, plain);
    if (st.ok()) return true;
    // Busy, full or failing staging disk: upload directly instead of failing the write.
    if (st.code() != EBUSY) TIERFS_LOG_WARN("write-back: {}; uploading {} directly", st.message(), key);
  }
  RETURN_IF_ERROR(PutBlock(key, plain));
  return false;
}

Result<CacheCount> CachedStore::CacheSlice(uint64_t id, uint32_t size, CacheOp op) {
  RETURN_IF_ERROR(init_status_);
  if (!disk_) return Err(EINVAL, "no disk cache" + (disk_status_.ok() ? "" : ": " + disk_status_.message()));
  const uint32_t bs = config_.block_size;
  CacheCount c;
  for (uint32_t indx = 0; uint64_t{indx} * bs < size; ++indx) {
    const uint32_t len = std::min<uint32_t>(bs, size - indx * bs);
    const std::string key = Key(id, indx, len);
    c.blocks++;
    c.bytes += len;
    const bool staged = staging_ && staging_->Contains(key);
    if (op == CacheOp::kEvict && !staged) {
      disk_->Remove(key);
      cache_.Erase(key);
      continue;
    }
    bool cached = staged || disk_->Contains(key);
    if (!cached && op == CacheOp::kWarm) {
      ASSIGN_OR_RETURN(BlockData block, FetchBlock(key, len));
      disk_->Store(key, *block);  // synchronously: warmup's point is that it is there after
      cached = disk_->Contains(key);
    }
    if (cached) {
      c.cached_blocks++;
      c.cached_bytes += len;
    }
  }
  return c;
}

Status CachedStore::FlushStaging(std::chrono::milliseconds max) {
  if (!staging_) return Status::Ok();
  return staging_->Flush(max);
}

Status CachedStore::ReadError(const std::string& key, const Status& st) const {
  switch (st.code()) {
    case ENOENT:
      return Status(ENOENT, "object " + key + " is missing from " + store_->Describe());
    case EBADMSG:  // corrupt data (object_store.h): the user sees EIO
      return Status(EIO, "corrupt object " + key + " in " + store_->Describe() + ": " +
                             st.message());
    case EINVAL:
      return Status(EINVAL, "read of " + key + " from " + store_->Describe() + ": " +
                                st.message());
    default:
      return Status(EIO, "read of " + key + " from " + store_->Describe() + " failed: " +
                             st.ToString());
  }
}

Status CachedStore::PutBlock(const std::string& key, const std::string& plain) {
  std::string encoded;
  if (!codec_->identity()) {  // no compression: the object is the block itself, no copy
    ASSIGN_OR_RETURN(encoded, codec_->Encode(plain));
  }
  Status st = store_->Put(key, codec_->identity() ? std::string_view(plain) : std::string_view(encoded));
  if (st.ok()) return st;
  return Status(EIO, "upload of " + key + " to " + store_->Describe() + " failed: " +
                         st.ToString());
}

Status CachedStore::DeleteBlock(const std::string& key) {
  cache_.Erase(key);
  if (staging_ && staging_->Remove(key) != Staging::Removed::kAbsent) {
    // Never uploaded, or its running upload deletes the object when the PUT returns.
    if (disk_) disk_->Remove(key);
    return Status::Ok();
  }
  if (disk_) {
    {
      std::lock_guard lock(fills_mu_);
      if (auto it = fills_.find(key); it != fills_.end()) it->second = true;
    }
    disk_->Remove(key);
  }
  Status st = store_->Delete(key);
  if (st.ok()) return st;
  return Status(st.code() == EINVAL ? EINVAL : EIO,
                "delete of " + key + " failed: " + st.ToString());
}

Result<BlockData> CachedStore::FetchBlock(const std::string& key, uint32_t len) {
  auto got = store_->Get(key);
  // A missing object is reported at once: a committed slice's objects exist unless a
  // compaction replaced the slice, which only the caller can tell (it re-reads the slice list).
  if (!got.has_value()) return Err(ReadError(key, got.error()));
  if (codec_->identity()) {  // zero-copy: the object is the plaintext
    if (got->size() != len) {
      return Err(EIO, "corrupt object " + key + ": has " + std::to_string(got->size()) +
                          " bytes, expected " + std::to_string(len));
    }
    return BlockData(std::make_shared<const std::string>(std::move(*got)));
  }
  auto plain = std::make_shared<std::string>(len, '\0');
  RETURN_IF_ERROR(codec_->Decode(*got, std::span<char>(plain->data(), len), key));
  return BlockData(std::move(plain));
}

Result<BlockData> CachedStore::LoadBlock(const std::string& key, uint32_t len) {
  if (BlockData d = cache_.Get(key)) {
    mb::Inc(hits_);
    return d;
  }
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mu_);
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }
  if (!leader) {
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    mb::Inc(hits_);
    return flight->result;
  }
  // The previous leader may have filled the cache between our lookup and our registration.
  Result<BlockData> result = cache_.Get(key);
  if (*result) {
    mb::Inc(hits_);
  } else if (std::optional<std::string> staged = staging_ ? staging_->Load(key, len) : std::nullopt) {
    result = BlockData(std::make_shared<const std::string>(std::move(*staged)));
    cache_.Put(key, *result);
  } else if (std::optional<std::string> local = disk_ ? disk_->Load(key, len) : std::nullopt) {
    mb::Inc(hits_);
    mb::Inc(hit_bytes_, len);
    result = BlockData(std::make_shared<const std::string>(std::move(*local)));
    cache_.Put(key, *result);
  } else {
    mb::Inc(misses_);
    mb::Inc(miss_bytes_, len);
    result = FetchBlock(key, len);
    if (result.has_value()) {
      cache_.Put(key, *result);
      // Filling the disk tier on the read path halved cold sequential reads: do it behind.
      // --cache-partial-only: full blocks (a large file's) are not kept (JuiceFS shouldCache).
      if (disk_ && !(config_.cache_partial_only && len == config_.block_size)) QueueFill(key, *result);
    }
  }
  {
    std::lock_guard lock(flights_mu_);
    flights_.erase(key);
  }
  {
    std::lock_guard lock(flight->mu);
    flight->result = result;
    flight->done = true;
  }
  flight->cv.notify_all();
  return result;
}

void CachedStore::QueueFill(const std::string& key, const BlockData& block) {
  {
    std::lock_guard lock(fills_mu_);
    if (!fills_.try_emplace(key, false).second) return;  // already on its way to disk
  }
  if (!cache_fill_pool_->TrySubmit([this, key, block] { Fill(key, *block); }).ok()) {
    std::lock_guard lock(fills_mu_);
    fills_.erase(key);
  }
}

void CachedStore::Fill(const std::string& key, const std::string& data) {
  {
    std::lock_guard lock(fills_mu_);
    auto it = fills_.find(key);
    if (it->second) {  // deleted while queued
      fills_.erase(it);
      return;
    }
  }
  disk_->Store(key, data);
  bool deleted;
  {
    std::lock_guard lock(fills_mu_);
    auto it = fills_.find(key);
    deleted = it->second;
    fills_.erase(it);
  }
  if (deleted) disk_->Remove(key);  // deleted while being written: DeleteBlock's Remove was early
}

void CachedStore::Prefetch(const std::string& key, uint32_t len) {
  if (!prefetch_pool_) return;
  // Without room for the current and the next block, read-ahead would only evict or waste.
  if (!disk_ && config_.read_cache_size < 2ULL * config_.block_size) return;
  if (cache_.Contains(key)) return;
  {
    std::lock_guard lock(flights_mu_);
    if (flights_.contains(key)) return;
  }
  // Queue full (EAGAIN) or store closing (ESHUTDOWN): skip, the demand read will fetch it.
  (void)prefetch_pool_->TrySubmit([this, key, len] { (void)LoadBlock(key, len); });
}

bool CachedStore::NoteRead(uint64_t id, uint32_t off, size_t n) {
  std::lock_guard lock(last_mu_);
  LastRead& last = last_reads_[id % last_reads_.size()];
  bool sequential = last.id == id && last.end == off;
  last = {id, off + n};
  return sequential;
}

Result<bool> CachedStore::ReadSmall(const std::string& key, uint32_t blen, uint32_t boff,
                                    std::span<char> out) {
  if (cache_.Contains(key)) return false;
  if (staging_ && staging_->ReadAt(key, blen, boff, out)) return true;
  if (disk_ && disk_->ReadAt(key, blen, boff, out)) {
    mb::Inc(hits_);
    mb::Inc(hit_bytes_, out.size());
    return true;
  }
  if (!codec_->identity() || !config_.ranged_reads || boff == 0) return false;
  {
    std::lock_guard lock(flights_mu_);
    if (flights_.contains(key)) return false;  // the whole block is on its way: join that fetch
  }
  ASSIGN_OR_RETURN(bool read, ReadRange(key, boff, out));
  if (read) {
    mb::Inc(misses_);
    mb::Inc(miss_bytes_, out.size());
  }
  return read;
}

Result<bool> CachedStore::ReadRange(const std::string& key, uint32_t boff, std::span<char> out) {
  auto got = store_->Get(key, boff, static_cast<int64_t>(out.size()));
  // The store has retried already: fetching the whole block instead would only retry again.
  if (!got.has_value()) return Err(ReadError(key, got.error()));
  if (got->size() != out.size()) return false;
  std::memcpy(out.data(), got->data(), out.size());
  return true;
}

Result<size_t> CachedStore::ReadSlice(uint64_t id, uint32_t size, uint32_t off,
                                      std::span<char> buf) {
  RETURN_IF_ERROR(init_status_);
  if (off >= size || buf.empty()) return size_t{0};
  const uint32_t bs = config_.block_size;
  const size_t n = std::min<size_t>(buf.size(), size - off);
  const bool sequential = NoteRead(id, off, n);
  size_t done = 0;
  while (done < n) {
    uint64_t pos = off + done;
    uint32_t indx = static_cast<uint32_t>(pos / bs);
    uint32_t boff = static_cast<uint32_t>(pos % bs);
    uint32_t blen = std::min<uint32_t>(bs, size - indx * bs);
    std::string key = Key(id, indx, blen);
    size_t take = std::min<size_t>(n - done, blen - boff);
    std::span<char> out = buf.subspan(done, take);
    const bool small_random = !sequential && take <= blen / 4;
    bool served = false;  // without the whole block; a random read starts no read-ahead either
    if (small_random) {
      ASSIGN_OR_RETURN(served, ReadSmall(key, blen, boff, out));
    }
    if (!served) {
      ASSIGN_OR_RETURN(BlockData block, LoadBlock(key, blen));
      std::memcpy(out.data(), block->data() + boff, take);
      // A sequential or large read that reaches the second half of a block: fetch the next
      // ones (as many as there are read-ahead threads, so the next demand read finds them).
      // Not for small random reads: each would load up to `prefetch` whole blocks it never
      // reads, evicting the blocks it does.
      if (!small_random && done + take == n && boff + take > blen / 2) {
        uint32_t blocks_ahead = uint32_t(std::max(config_.prefetch, 0));
        if (config_.max_readahead > 0) {  // --max-readahead bounds the bytes fetched ahead
          blocks_ahead = std::min<uint32_t>(blocks_ahead, uint32_t(config_.max_readahead / bs));
        }
        for (uint32_t ahead = 1; ahead <= blocks_ahead; ahead++) {
          if (uint64_t{indx + ahead} * bs >= size) break;
          uint32_t next_len = std::min<uint32_t>(bs, size - (indx + ahead) * bs);
          Prefetch(Key(id, indx + ahead, next_len), next_len);
        }
      }
    }
    done += take;
  }
  return n;
}

BufferState CachedStore::Buffer() const {
  switch (budget_.Check()) {
    case MemoryBudget::State::kRoom: return BufferState::kRoom;
    case MemoryBudget::State::kDraining: return BufferState::kDraining;
    case MemoryBudget::State::kFull: break;
  }
  return BufferState::kFull;
}

std::unique_ptr<SliceWriter> CachedStore::NewWriter(uint64_t id, WriteMode mode) {
  return NewSliceWriter(this, id, mode);
}

Status CachedStore::DeleteBlocks(const std::vector<std::string>& keys) {
  std::vector<Status> results(keys.size());
  WaitGroup wg;
  for (size_t i = 0; i < keys.size(); ++i) {
    wg.Add();
    Status queued = delete_pool_->Submit([this, &results, &wg, &keys, i] {
      results[i] = DeleteBlock(keys[i]);
      wg.Done();
    });
    if (!queued.ok()) {  // the store is being destroyed: a caller bug, reported per key
      results[i] = Status(EIO, "delete of " + keys[i] + " not started: " + queued.ToString());
      wg.Done();
    }
  }
  wg.Wait();
  for (const Status& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status CachedStore::Remove(uint64_t id, uint32_t size) {
  RETURN_IF_ERROR(init_status_);
  const uint32_t bs = config_.block_size;
  std::vector<std::string> keys;
  for (uint32_t indx = 0; uint64_t{indx} * bs < size; ++indx) {
    keys.push_back(Key(id, indx, std::min<uint32_t>(bs, size - indx * bs)));
  }
  return DeleteBlocks(keys);
}

std::unique_ptr<ChunkStore> NewChunkStore(object::ObjectStore* store, const ChunkConfig& config,
                                          metrics::Registry* registry) {
  return std::make_unique<CachedStore>(store, config, registry);
}

}  // namespace tierfs::chunk
