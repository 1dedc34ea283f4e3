// Compactor: rewrites a chunk whose slice list grew long into one slice (JuiceFS
// pkg/vfs/compact.go + meta CompactChunk): read the visible bytes (holes as zeros), write them
// as a new slice, then swap the list in meta with a compare-and-swap on the original list;
// on conflict the new slice's objects are deleted.
//
// Requests are deduplicated per (inode, chunk) and run on a small pool in the background.
// Thread-safety: thread-safe. Stop() waits for running compactions and drops queued ones.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "chunk/chunk_store.h"
#include "meta/meta.h"

namespace tierfs::vfs {

class Compactor {
 public:
  // Called after a compaction of (ino, indx) was committed (the VFS drops its cached list).
  using OnCompacted = std::function<void(meta::Ino, uint32_t)>;
  // block_size: the volume's block size in bytes (the unit compaction copies at a time).
  Compactor(meta::Meta* meta, chunk::ChunkStore* store, uint32_t block_size, int threads,
            OnCompacted on_compacted = {});
  ~Compactor();
  // Queues a compaction of chunk `indx` of `ino` unless one is queued or running.
  void Request(meta::Ino ino, uint32_t indx);
  // Compacts now, in the caller's thread. EAGAIN when the chunk changed meanwhile.
  Status CompactNow(meta::Ino ino, uint32_t indx);
  void Stop();

 private:
  void Loop();

  meta::Meta* meta_;
  chunk::ChunkStore* store_;
  const uint32_t block_size_;
  const OnCompacted on_compacted_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<meta::Ino, uint32_t>> queue_;
  std::set<std::pair<meta::Ino, uint32_t>> pending_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tierfs::vfs
