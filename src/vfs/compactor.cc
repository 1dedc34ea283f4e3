#include "vfs/compactor.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "vfs/data_reader.h"
#include "vfs/slice_view.h"

namespace tierfs::vfs {

Compactor::Compactor(meta::Meta* meta, chunk::ChunkStore* store, uint32_t block_size, int threads,
                     OnCompacted on_compacted)
    : meta_(meta), store_(store), block_size_(block_size), on_compacted_(std::move(on_compacted)) {
  for (int i = 0; i < threads; i++) threads_.emplace_back([this] { Loop(); });
}

Compactor::~Compactor() { Stop(); }

void Compactor::Stop() {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Compactor::Request(meta::Ino ino, uint32_t indx) {
  {
    std::lock_guard lk(mu_);
    if (stop_ || !pending_.insert({ino, indx}).second) return;
    queue_.emplace_back(ino, indx);
  }
  cv_.notify_one();
}

void Compactor::Loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto [ino, indx] = queue_.front();
    queue_.pop_front();
    lk.unlock();
    Status s = CompactNow(ino, indx);
    if (!s.ok() && s.code() != EAGAIN && s.code() != ENOENT)
      spdlog::warn("compact inode {} chunk {}: {}", ino, indx, s.ToString());
    lk.lock();
    pending_.erase({ino, indx});
  }
}

Status Compactor::CompactNow(meta::Ino ino, uint32_t indx) {
  ASSIGN_OR_RETURN(meta::ChunkSnapshot snap, meta_->ReadChunkForCompaction(ino, indx));
  if (snap.slices.size() < 2) return Status::Ok();
  std::vector<Piece> pieces = ResolveSlices(snap.slices);
  if (pieces.empty()) return Status::Ok();
  uint32_t start = pieces.front().pos;
  uint32_t end = pieces.back().pos + pieces.back().len;
  uint32_t size = end - start;
  ASSIGN_OR_RETURN(uint64_t id, meta_->NewSlice());
  auto writer = store_->NewWriter(id);
  // Shift the pieces so the new slice starts at `start`, then copy in bounded steps.
  std::vector<Piece> shifted = pieces;
  for (Piece& p : shifted) p.pos -= start;
  PieceSource source = [&](uint32_t) -> Result<std::vector<Piece>> { return shifted; };
  // One block per step: each full block is handed to upload before the next is copied, so a
  // compaction never holds more than a block of the write budget (a bigger step could wait
  // forever for budget that only its own unflushed bytes hold).
  const uint32_t kStep = block_size_;
  std::string buf;
  for (uint32_t off = 0; off < size; off += kStep) {
    // Background work yields to writers: no new block while the write buffers are over the
    // limit (waiting is enough: idle writers' slices are committed by the VFS flusher).
    while (store_->Buffer() != chunk::BufferState::kRoom) {
      store_->WaitForBuffer(std::chrono::milliseconds(100));
    }
    uint32_t n = std::min(kStep, size - off);
    buf.resize(n);
    auto got = ReadFileRange(store_, source, size, off, std::span<char>(buf.data(), n));
    Status st = got ? writer->WriteAt(std::span<const char>(buf.data(), n), off) : got.error();
    if (st.ok()) st = writer->FlushTo(off + n);
    if (!st.ok()) {
      writer->Abort();
      return st;
    }
  }
  if (Status st = writer->Finish(size); !st.ok()) {
    writer->Abort();
    return st;
  }
  Status st = meta_->CommitCompaction(ino, indx, snap, {meta::Slice{start, id, size, 0, size}});
  if (st.ok() && on_compacted_) on_compacted_(ino, indx);
  // Only a conflict (EAGAIN) proves the new slice was not swapped in; after any other error the
  // swap may have committed (e.g. deleting an old slice failed), so its objects must stay.
  if (st.code() == EAGAIN) (void)store_->Remove(id, size);
  return st;
}

}  // namespace tierfs::vfs
