// FileWriter: buffers one inode's writes as slices (JuiceFS pkg/vfs/writer.go model) and commits
// them to meta in creation order once their blocks are durable.
//
// A slice accepts a write that starts inside [pos + flushed, pos + len] of the slice, so a slice
// is always contiguous; other writes start a new slice. A slice is frozen when it reaches its
// chunk's end, when more than kMaxOpenSlices are open in its chunk, or on Flush. Frozen slices
// are finished (last block uploaded) and committed by a task on the shared commit pool, strictly
// in creation order, so later slices win on read exactly as written.
//
// Back-pressure: Write waits *before* it copies while the write buffers of all files exceed
// `--buffer-size` (ChunkStore::Buffer), never in the middle of filling a block; when only
// committing buffered slices can free memory (kFull), it calls `on_pressure` (the VFS freezes
// every writer's slices) and waits again. After each slice commit, `on_commit` runs before any
// Flush waiting for that slice returns (the VFS lays the slice over its cached slice list).
//
// Thread-safety: all methods are thread-safe. Errors are errno Status; a failed upload or
// commit is sticky: every later Write/Flush of this writer returns EIO.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "chunk/chunk_store.h"
#include "meta/meta.h"
#include "util/status.h"

namespace tierfs {
class ThreadPool;
}

namespace tierfs::vfs {

class FileWriter {
 public:
  struct Hooks {
    // `slice` was committed at chunk `indx` (slice.pos = its offset in the chunk); the file is
    // now at least `end` bytes long.
    std::function<void(uint32_t indx, const meta::Slice& slice, uint64_t end)> on_commit;
    std::function<void()> on_pressure;             // the budget is full of buffered slices
  };
  // meta, store and pool are not owned and must outlive the writer. Hooks may be empty; they
  // are called without the writer's locks held, from the commit pool / the writing thread.
  // Write-back: while every byte written through this writer lies below `stage_limit` bytes
  // (`--writeback-max-size`), slices are written with WriteMode::kStage; 0 = never stage. When a
  // write reaches past it, the open slices are told to upload directly (their staged blocks go
  // up before their commit) and new slices upload; slices committed before stay staged.
  FileWriter(meta::Ino ino, meta::Meta* meta, chunk::ChunkStore* store, uint32_t block_size,
             ThreadPool* pool, Hooks hooks = {}, uint64_t stage_limit = 0);
  ~FileWriter();

  // Buffers data at file offset `off` (bytes).
  Status Write(uint64_t off, std::span<const char> data);
  // Returns once every byte written before the call is committed to meta (or the sticky error).
  Status Flush();
  // The largest end offset written through this writer (bytes); 0 if none.
  uint64_t Length() const;
  // True while some written byte is not yet committed.
  bool Dirty() const;
  // Freezes (and so commits in the background) every slice when nothing was written since
  // `idle_since`. Called about once a second by the VFS.
  void FreezeIdle(std::chrono::steady_clock::time_point idle_since);
  // Freezes every slice now (memory pressure); a slice being copied into is frozen when its
  // copy ends.
  void FreezeAllNow();

 private:
  struct OpenSlice;
  static constexpr int kMaxOpenSlices = 3;  // per chunk, as JuiceFS's writer scans back 3
  static constexpr int kCommitTries = 5;    // back-off 200 ms .. 1.6 s between tries

  Status WriteChunk(uint32_t indx, uint32_t pos, std::span<const char> data,
                    std::unique_lock<std::mutex>& lk);
  OpenSlice* FindSlice(uint32_t indx, uint32_t pos, uint32_t size);
  void Freeze(OpenSlice* s);
  void FreezeAll();
  void ScheduleCommit();
  void CommitLoop();
  void CommitFrozen(std::unique_lock<std::mutex>& lk);
  Status CommitOne(OpenSlice& s);
  // Waits until the chunk store's write buffers have room (see the class comment).
  void Throttle();

  const meta::Ino ino_;
  meta::Meta* meta_;
  chunk::ChunkStore* store_;
  const uint32_t block_size_;
  ThreadPool* pool_;
  const Hooks hooks_;
  const uint64_t stage_limit_;

  std::mutex write_mu_;  // serialises Write calls; taken before mu_
  mutable std::mutex mu_;
  std::condition_variable drained_;
  std::deque<std::unique_ptr<OpenSlice>> slices_;  // creation order; front is committed first
  bool committing_ = false;
  uint64_t created_ = 0;  // slices ever created
  uint64_t done_ = 0;     // slices committed (or dropped after an error), in creation order
  uint64_t length_ = 0;
  uint64_t extent_ = 0;  // largest end offset ever written (not reset by commits)
  std::chrono::steady_clock::time_point last_write_{};
  Status error_;
};

}  // namespace tierfs::vfs
