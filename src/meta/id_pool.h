// IdPool: a local pool of inode or slice ids, taken from a shared store counter in batches
// ("IDs in batches"), so that creating a file or writing a slice costs a counter transaction
// only once per `batch` ids. Source: JuiceFS pkg/meta/base.go (nextInode / NewSlice with
// inodeBatch / sliceIdBatch, and freeID's [next, maxid) range):
//   v, err := m.en.incrCounter("nextInode", inodeBatch); next = v - inodeBatch; maxid = v
//
// Semantics. The refill function adds `delta` (always `batch`) to the counter and returns its
// NEW value v; the pool then owns the ids [v - batch, v) ("next free" counter semantics, as
// every Engine::IncrCounter normalises to). Ids below `min_id` are skipped (inodes: the root
// is 1, so min_id = 2; slices: min_id = 1). Next() hands out the ids of the oldest range in
// increasing order; ranges need not be contiguous (other clients take batches in between),
// so the pool keeps a small queue of them. Ids are unique across every client of the counter;
// ids taken but never handed out (a crash, a close, a restart) are holes, never reused.
//
// Prefetch. When, after an id is handed out, the ids left fall to `low_watermark` (in ids,
// i.e. batch * percent / 100 from IdPoolOptions) or below and no refill is in flight, ONE
// asynchronous refill starts on the pool's background thread (started on first use). Refills
// never overlap: synchronous and asynchronous ones are serialised. A low watermark of 0
// (or batch 1) disables prefetching: every refill is then synchronous. With batch 1 each id
// costs exactly one counter increment (metaprime=0).
//
// Refill bound. A refill only starts when the pool holds <= low_watermark ids, so after T ids
// handed out (and no ids lost to min_id), the number of refills is at most
// floor((T + low_watermark) / batch) + 1 <= ceil(T / batch) + 1.
//
// Errors. When the pool is empty and no refill is in flight, Next() refills synchronously in
// the caller's thread; if that fails, Next() returns the refill's error (EIO, ...) and the
// next call tries again. When the pool is empty and an asynchronous refill is in flight,
// Next() waits for it (and, if it failed, refills synchronously itself). A failed
// asynchronous refill is logged and counted; the next Next() at or below the watermark
// starts another. Nothing here throws or aborts.
//
// Metrics (when BindMetrics got a registry; docs/metrics.md "Metadata"), label kind = `kind`:
// tierfs_meta_id_prime_calls (counter increments issued, sync + async), tierfs_meta_id_served
// (ids handed out), tierfs_meta_id_prefetches (asynchronous refills started),
// tierfs_meta_id_prime_errors (refills that failed).
//
// Thread-safety: every method may be called concurrently. The refill function is called from
// the calling thread of Next() or from the pool's thread, never twice at once. The destructor
// waits for an in-flight refill; REQUIRES: no Next() call is running or starts while the pool
// is destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "metrics/registry.h"
#include "util/status.h"

namespace tierfs::meta {

// Batch sizes and watermarks of the two pools of a BaseMeta, from the META-URL query
// (docs/commands.md "META-URL options"): inode_batch, chunk_batch, inode_low_watermark,
// chunk_low_watermark, metaprime.
struct IdPoolOptions {
  int64_t inode_batch = 256;     // ids per nextInode increment; >= 1
  int64_t chunk_batch = 2048;    // ids per nextChunk increment; >= 1
  int inode_low_watermark = 25;  // percent of inode_batch (0..100) left when prefetch starts
  int chunk_low_watermark = 25;  // percent of chunk_batch (0..100)
};

// Largest batch accepted from a URL: keeps batch * percent far from int64 overflow and the
// counter from jumping absurdly on a typo.
inline constexpr int64_t kMaxIdBatch = int64_t{1} << 30;

class IdPool {
 public:
  // Adds `delta` to the shared counter, returns its new value.
  using Refill = std::function<Result<int64_t>(int64_t delta)>;

  // `kind` names the pool in logs and metric labels ("inode", "slice").
  // REQUIRES: batch >= 1, 0 <= low_watermark_pct <= 100, min_id >= 0.
  IdPool(std::string kind, int64_t batch, int low_watermark_pct, uint64_t min_id, Refill refill);
  ~IdPool();
  IdPool(const IdPool&) = delete;
  IdPool& operator=(const IdPool&) = delete;

  // The next unique id (>= min_id), or the error of a failed synchronous refill.
  Result<uint64_t> Next();

  // Blocks until no refill is in flight (tests; an idle pool returns at once).
  void WaitForRefill();

  // Registers this pool's metrics in `registry` (nullptr: none). Not owned; must outlive the
  // pool or the next BindMetrics call.
  void BindMetrics(metrics::Registry* registry);

  int64_t batch() const { return batch_; }
  // In ids: batch * low_watermark_pct / 100, rounded down; 0 when batch is 1.
  int64_t low_watermark() const { return low_; }

 private:
  struct Range {
    uint64_t next, end;  // [next, end)
  };
  // Applies a refill's result. REQUIRES: mu_ held, refilling_ set by this refill.
  Status FinishRefillLocked(const Result<int64_t>& r, bool async);
  // Starts the asynchronous refill when at or below the watermark. REQUIRES: mu_ held.
  void MaybePrefetchLocked();
  void Worker();

  const std::string kind_;
  const int64_t batch_;
  const int64_t low_;
  const uint64_t min_id_;
  const Refill refill_;

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;         // refilling_ cleared (waiters of an empty pool)
  std::condition_variable work_cv_;    // async_requested_ or stopping_ set (the worker)
  std::deque<Range> ranges_;
  uint64_t remaining_ = 0;  // ids in ranges_
  bool refilling_ = false;  // a refill (sync or async) is in flight
  bool async_requested_ = false;
  bool stopping_ = false;
  std::thread worker_;
  metrics::Counter* prime_calls_ = nullptr;
  metrics::Counter* served_ = nullptr;
  metrics::Counter* prefetches_ = nullptr;
  metrics::Counter* prime_errors_ = nullptr;
};

}  // namespace tierfs::meta
