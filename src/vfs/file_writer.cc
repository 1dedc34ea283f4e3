#include "vfs/file_writer.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/thread_pool.h"

namespace tierfs::vfs {

struct FileWriter::OpenSlice {
  uint32_t indx = 0;     // chunk index
  uint32_t pos = 0;      // offset of the slice in its chunk
  uint32_t len = 0;      // bytes written so far (contiguous from pos)
  uint32_t flushed = 0;  // bytes from the slice start already handed to upload (block-aligned)
  bool frozen = false;
  bool busy = false;              // the writer is copying into it without mu_
  bool freeze_when_idle = false;  // a flush asked for it while busy
  std::unique_ptr<chunk::SliceWriter> writer;
};

FileWriter::FileWriter(meta::Ino ino, meta::Meta* meta, chunk::ChunkStore* store,
                       uint32_t block_size, ThreadPool* pool, Hooks hooks, uint64_t stage_limit)
    : ino_(ino), meta_(meta), store_(store), block_size_(block_size), pool_(pool),
      hooks_(std::move(hooks)), stage_limit_(stage_limit) {}

FileWriter::~FileWriter() {
  // The VFS flushes before dropping a writer; whatever is left was never acknowledged.
  std::unique_lock lk(mu_);
  drained_.wait(lk, [&] { return !committing_; });
  for (auto& s : slices_) s->writer->Abort();
}

uint64_t FileWriter::Length() const {
  std::lock_guard lk(mu_);
  return length_;
}

bool FileWriter::Dirty() const {
  std::lock_guard lk(mu_);
  return !slices_.empty() || committing_;
}

void FileWriter::Throttle() {
  // The wait is bounded per round so that pressure is relieved again while it lasts (a commit
  // of frozen slices may still be uploading, or another writer filled the budget meanwhile).
  constexpr auto kRound = std::chrono::milliseconds(100);
  for (;;) {
    chunk::BufferState b = store_->Buffer();
    if (b == chunk::BufferState::kRoom) return;
    if (b == chunk::BufferState::kFull && hooks_.on_pressure) hooks_.on_pressure();
    store_->WaitForBuffer(kRound);
  }
}

Status FileWriter::Write(uint64_t off, std::span<const char> data) {
  Throttle();  // before any lock: the commits that free memory need them
  // One writer at a time (the kernel already serialises writes of an inode): a slice is only
  // ever filled by one thread, which may then copy into it without holding mu_.
  std::lock_guard wl(write_mu_);
  std::unique_lock lk(mu_);
  if (!error_.ok()) return Status(EIO, "earlier write failed: " + error_.ToString());
  last_write_ = std::chrono::steady_clock::now();
  const uint64_t extent = std::max<uint64_t>(extent_, off + data.size());
  if (stage_limit_ > 0 && extent_ <= stage_limit_ && extent > stage_limit_) {
    // The file outgrew the write-back limit. Frozen slices belong to the commit task now.
    for (auto& s : slices_) {
      if (!s->frozen) s->writer->UploadDirectly();
    }
  }
  extent_ = extent;
  while (!data.empty()) {
    uint32_t indx = uint32_t(off >> meta::kChunkBits);
    uint32_t pos = uint32_t(off & (meta::kChunkSize - 1));
    size_t n = std::min<uint64_t>(data.size(), meta::kChunkSize - pos);
    RETURN_IF_ERROR(WriteChunk(indx, pos, data.first(n), lk));
    off += n;
    data = data.subspan(n);
  }
  return Status::Ok();
}

// The newest open slice whose unflushed tail the write [pos, pos+size) continues, as JuiceFS's
// findWritableSlice: a slice can only take the write if no newer slice overlaps the range,
// since newer slices win on read and would hide bytes written into an older one.
FileWriter::OpenSlice* FileWriter::FindSlice(uint32_t indx, uint32_t pos, uint32_t size) {
  int open = 0;
  for (auto it = slices_.rbegin(); it != slices_.rend(); ++it) {
    OpenSlice* s = it->get();
    if (s->indx != indx) continue;
    if (!s->frozen) {
      if (pos >= s->pos + s->flushed && pos <= s->pos + s->len) return s;
      if (++open >= kMaxOpenSlices) Freeze(s);  // too many open: stop the older ones growing
    }
    if (pos < s->pos + s->len && s->pos < pos + size) return nullptr;  // hidden by a newer one
  }
  return nullptr;
}

Status FileWriter::WriteChunk(uint32_t indx, uint32_t pos, std::span<const char> data,
                              std::unique_lock<std::mutex>& lk) {
  OpenSlice* s = FindSlice(indx, pos, uint32_t(data.size()));
  if (s == nullptr) {
    lk.unlock();
    auto id = meta_->NewSlice();
    lk.lock();
    if (!id) return id.error();
    auto fresh = std::make_unique<OpenSlice>();
    fresh->indx = indx;
    fresh->pos = pos;
    const bool stage = stage_limit_ > 0 && extent_ <= stage_limit_;
    fresh->writer = store_->NewWriter(*id, stage ? chunk::WriteMode::kStage : chunk::WriteMode::kUpload);
    s = fresh.get();
    slices_.push_back(std::move(fresh));
    ++created_;
  }
  const uint32_t at = pos - s->pos;
  const uint32_t len = std::max<uint32_t>(s->len, at + uint32_t(data.size()));
  const uint32_t full = len / block_size_ * block_size_;
  // Copy without mu_: WriteAt may wait for the memory budget, and the budget may only come back
  // when this file's commit task finishes older slices, which needs mu_. `busy` keeps the slice
  // from being frozen and finished meanwhile.
  s->busy = true;
  lk.unlock();
  Status st = s->writer->WriteAt(data, at);
  if (st.ok() && full > s->flushed) st = s->writer->FlushTo(full);
  lk.lock();
  s->busy = false;
  if (!st.ok()) {
    // The slice cannot be completed: fail this and every later write and flush of the file
    // (the commit task aborts the slices instead of committing them).
    if (error_.ok()) error_ = st;
    Freeze(s);
    return st;
  }
  s->len = len;
  s->flushed = std::max(s->flushed, full);
  length_ = std::max<uint64_t>(length_, (uint64_t(indx) << meta::kChunkBits) + pos + data.size());
  if (s->freeze_when_idle || uint64_t(s->pos) + s->len >= meta::kChunkSize) Freeze(s);
  return Status::Ok();
}

void FileWriter::Freeze(OpenSlice* s) {
  if (s->frozen) return;
  s->frozen = true;
  ScheduleCommit();
}

void FileWriter::FreezeAll() {
  for (auto& s : slices_) {
    if (s->busy) {
      s->freeze_when_idle = true;  // the writer freezes it as soon as its copy is done
    } else {
      s->frozen = true;
    }
  }
  ScheduleCommit();
}

// REQUIRES: mu_ held.
void FileWriter::ScheduleCommit() {
  if (committing_ || slices_.empty() || !slices_.front()->frozen) return;
  committing_ = true;
  // Submit waits only while the pool's queue is full (no task of that pool needs mu_); it
  // fails only once the pool is stopping, and then the writes are reported failed, not lost.
  if (Status s = pool_->Submit([this] { CommitLoop(); }); !s.ok()) {
    committing_ = false;
    if (error_.ok()) error_ = s;
    for (auto& sl : slices_) sl->writer->Abort();
    done_ += slices_.size();
    slices_.clear();
    drained_.notify_all();
  }
}

void FileWriter::CommitLoop() {
  std::unique_lock lk(mu_);
  CommitFrozen(lk);
}

// REQUIRES: lk holds mu_; committing_ set by the caller.
void FileWriter::CommitFrozen(std::unique_lock<std::mutex>& lk) {
  while (!slices_.empty() && slices_.front()->frozen) {
    OpenSlice* s = slices_.front().get();
    lk.unlock();
    Status st = error_.ok() ? CommitOne(*s) : Status(EIO, "skipped after earlier failure");
    // Before done_ moves: a Flush that returns has its reads see the committed slice.
    if (st.ok() && hooks_.on_commit) {
      meta::Slice committed{s->pos, s->writer->id(), s->len, 0, s->len};
      hooks_.on_commit(s->indx, committed,
                       (uint64_t(s->indx) << meta::kChunkBits) + s->pos + s->len);
    }
    lk.lock();
    if (!st.ok()) {
      if (error_.ok()) error_ = st;
      s->writer->Abort();
    }
    slices_.pop_front();
    ++done_;
    drained_.notify_all();
  }
  committing_ = false;
  if (slices_.empty()) length_ = 0;  // all committed: meta has the length (and may shrink it)
  drained_.notify_all();
}

// Runs without mu_: the slice is frozen, nobody else touches it.
Status FileWriter::CommitOne(OpenSlice& s) {
  RETURN_IF_ERROR(s.writer->Finish(s.len));
  meta::Slice slice{s.pos, s.writer->id(), s.len, 0, s.len};
  Status st;
  // The blocks are durable; a transient metadata failure (busy database, lost connection) is
  // retried with back-off before the slice is given up (JuiceFS retries its commits too).
  for (int attempt = 0; attempt < kCommitTries; attempt++) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    st = meta_->Write(ino_, s.indx, s.pos, slice, ns / 1000000000, uint32_t(ns % 1000000000));
    if (st.ok() || (st.code() != EIO && st.code() != EBUSY && st.code() != EAGAIN)) break;
  }
  return st;
}

void FileWriter::FreezeIdle(std::chrono::steady_clock::time_point idle_since) {
  std::lock_guard lk(mu_);
  if (slices_.empty() || last_write_ > idle_since) return;
  FreezeAll();
}

void FileWriter::FreezeAllNow() {
  std::lock_guard lk(mu_);
  if (!slices_.empty()) FreezeAll();
}

Status FileWriter::Flush() {
  std::unique_lock lk(mu_);
  // Waits for the slices that exist now, not for writes other threads add meanwhile.
  const uint64_t target = created_;
  if (!committing_ && !slices_.empty() && std::none_of(slices_.begin(), slices_.end(),
                                                       [](const auto& s) { return s->busy; })) {
    // Nothing is committing and no copy is running: commit here, in the thread that waits for
    // it anyway, instead of handing the work to the commit pool and waiting to be woken.
    for (auto& s : slices_) s->frozen = true;
    committing_ = true;
    CommitFrozen(lk);
    return error_;
  }
  FreezeAll();
  drained_.wait(lk, [&] { return done_ >= target; });
  return error_;
}

}  // namespace tierfs::vfs
