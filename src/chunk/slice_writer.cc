#include "chunk/slice_writer.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "chunk/cached_store.h"

namespace tierfs::chunk {
namespace {

// What the upload tasks of one slice report back.
struct Uploads {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
  Status error;                       // first failure
  std::vector<std::string> uploaded;  // keys stored so far (in the object store or staged)
  std::vector<std::string> staged;    // of those, the staged ones
};

class SliceWriterImpl final : public SliceWriter {
 public:
  SliceWriterImpl(CachedStore* store, uint64_t id, WriteMode mode)
      : store_(store), id_(id), bs_(store->config().block_size),
        stage_(mode == WriteMode::kStage && store->staging() != nullptr),
        up_(std::make_shared<Uploads>()) {}
  ~SliceWriterImpl() override {
    if (!closed_) DropBuffers();  // uploads in flight finish on their own
  }

  uint64_t id() const override { return id_; }
  Status WriteAt(std::span<const char> data, uint32_t off) override;
  Status FlushTo(uint32_t off) override;
  Status Finish(uint32_t length) override;
  void Abort() override;
  void UploadDirectly() override { direct_ = stage_; stage_ = false; }

 private:
  struct Block {
    std::string data;      // bytes [0, data.size()) of the block
    uint64_t charged = 0;  // budget held for this buffer (>= data.capacity() used)
  };

  Status Usable() const;
  // Makes room for `need` bytes in `b`, charging the budget first; `streaming`: the whole block.
  void Reserve(Block& b, uint64_t need, bool streaming);
  // Makes block `indx` at least `need` bytes long (zero-filled), charging the budget first.
  void Grow(Block& b, uint64_t need);
  // Hands block `indx`, cut or zero-extended to `len` bytes, to the upload pool.
  void Submit(uint32_t indx, uint32_t len);
  // The same, uploading in this thread when `here` (and returning once it is done).
  void Upload(uint32_t indx, uint32_t len, bool here);
  void DropBuffers();
  void WaitUploads();

  CachedStore* const store_;
  const uint64_t id_;
  const uint32_t bs_;
  bool stage_;           // blocks go to staging (write-back)
  bool direct_ = false;  // was staging, then told to upload: Finish uploads what it staged
  std::vector<Block> blocks_;
  uint32_t frozen_ = 0;  // blocks [0, frozen_) were handed to the pool
  bool closed_ = false;  // finished or aborted
  std::shared_ptr<Uploads> up_;
};

Status SliceWriterImpl::Usable() const {
  RETURN_IF_ERROR(store_->init_status());
  if (closed_) return Status(EINVAL, "slice " + std::to_string(id_) + " is already finished");
  std::lock_guard lock(up_->mu);
  if (!up_->error.ok()) return Status(EIO, up_->error.message());
  return Status::Ok();
}

void SliceWriterImpl::Reserve(Block& b, uint64_t need, bool streaming) {
  if (need > b.charged) {
    // A block after a full one is a sequential writer's: its buffer is the whole block at
    // once (growing it by doubling copied it five times and faulted in fresh pages each time).
    uint64_t cap = streaming ? bs_
                             : std::max((need + kMinWriteBuffer - 1) / kMinWriteBuffer * kMinWriteBuffer,
                                        std::min<uint64_t>(2 * b.charged, bs_));
    cap = std::max(std::min<uint64_t>(cap, bs_), need);
    store_->budget().Charge(cap - b.charged);  // never blocks: writers throttle before copying
    b.data.reserve(cap);
    b.charged = cap;
  }
}

void SliceWriterImpl::Grow(Block& b, uint64_t need) {
  Reserve(b, need, /*streaming=*/false);
  if (b.data.size() < need) b.data.resize(need);
}

Status SliceWriterImpl::WriteAt(std::span<const char> data, uint32_t off) {
  RETURN_IF_ERROR(Usable());
  if (uint64_t{off} + data.size() > kMaxSliceSize) {
    return Status(EINVAL, "write past the 64 MiB slice limit in slice " + std::to_string(id_));
  }
  if (data.empty()) return Status::Ok();
  if (off < uint64_t{frozen_} * bs_) {
    return Status(EINVAL, "write at " + std::to_string(off) + " into an uploaded block of slice " +
                              std::to_string(id_));
  }
  size_t done = 0;
  while (done < data.size()) {
    uint64_t pos = off + done;
    uint32_t indx = static_cast<uint32_t>(pos / bs_);
    uint32_t boff = static_cast<uint32_t>(pos % bs_);
    size_t n = std::min<size_t>(data.size() - done, bs_ - boff);
    if (blocks_.size() <= indx) blocks_.resize(indx + 1);
    Block& b = blocks_[indx];
    const bool streaming = indx > 0 && (indx == frozen_ || blocks_[indx - 1].data.size() == bs_);
    Reserve(b, boff + n, streaming);
    if (boff > b.data.size()) b.data.resize(boff);  // a hole inside the block reads as zeros
    if (boff == b.data.size()) {
      b.data.append(data.data() + done, n);  // appending: no zero-fill before the copy
    } else {
      if (b.data.size() < boff + n) b.data.resize(boff + n);
      std::memcpy(b.data.data() + boff, data.data() + done, n);
    }
    done += n;
  }
  return Status::Ok();
}

void SliceWriterImpl::Submit(uint32_t indx, uint32_t len) { Upload(indx, len, /*here=*/false); }

void SliceWriterImpl::Upload(uint32_t indx, uint32_t len, bool here) {
  if (blocks_.size() <= indx) blocks_.resize(indx + 1);
  Block& b = blocks_[indx];
  Grow(b, len);  // a never-written block (hole) reads as zeros
  b.data.resize(len);
  auto data = std::make_shared<std::string>(std::move(b.data));
  uint64_t charged = std::exchange(b.charged, 0);
  b.data = std::string();
  std::string key = store_->Key(id_, indx, len);
  {
    std::lock_guard lock(up_->mu);
    ++up_->pending;
  }
  store_->budget().StartDrain(charged);
  auto done = [store = store_, up = up_, charged](const std::string& key, Result<bool> st) {
    store->budget().FinishDrain(charged);
    std::lock_guard lock(up->mu);
    if (st.has_value()) {
      up->uploaded.push_back(key);
      if (*st) up->staged.push_back(key);
    } else if (up->error.ok()) {
      up->error = st.error();
    }
    if (--up->pending == 0) up->cv.notify_all();
  };
  const bool stage = stage_;
  if (here) return done(key, store_->StoreBlock(key, *data, stage));
  Status queued = store_->upload_pool().Submit([store = store_, key, data, done, stage] {
    done(key, store->StoreBlock(key, *data, stage));
  });
  if (!queued.ok()) {  // the store is being destroyed: a caller bug, reported as a failed upload
    done(key, Err(EIO, "upload of " + key + " not started: " + queued.ToString()));
  }
}

Status SliceWriterImpl::FlushTo(uint32_t off) {
  RETURN_IF_ERROR(Usable());
  if (off > kMaxSliceSize) return Status(EINVAL, "flush past the 64 MiB slice limit");
  uint32_t full = off / bs_;
  for (; frozen_ < full; ++frozen_) Submit(frozen_, bs_);
  return Status::Ok();
}

Status SliceWriterImpl::Finish(uint32_t length) {
  RETURN_IF_ERROR(store_->init_status());
  if (closed_) return Status(EINVAL, "slice " + std::to_string(id_) + " is already finished");
  if (length > kMaxSliceSize) return Status(EINVAL, "slice longer than 64 MiB");
  if (length < uint64_t{frozen_} * bs_) {
    return Status(EINVAL, "finish length " + std::to_string(length) +
                              " is shorter than the uploaded blocks of slice " + std::to_string(id_));
  }
  uint32_t nblocks = static_cast<uint32_t>((uint64_t{length} + bs_ - 1) / bs_);
  bool failed;
  {
    std::lock_guard lock(up_->mu);
    failed = !up_->error.ok();
  }
  // After a failed upload the slice is lost anyway: close without uploading the rest. The last
  // block is uploaded in this thread, which would only wait for it: a small file's flush then
  // costs no hand-off to the upload pool and back (most of a 4 KiB create's latency).
  for (; !failed && frozen_ < nblocks; ++frozen_) {
    Upload(frozen_, std::min<uint32_t>(bs_, length - frozen_ * bs_), frozen_ + 1 == nblocks);
  }
  closed_ = true;
  DropBuffers();  // bytes written beyond `length`
  WaitUploads();
  std::vector<std::string> staged;
  {
    std::lock_guard lock(up_->mu);
    if (!up_->error.ok()) return Status(EIO, up_->error.message());
    if (direct_) staged = up_->staged;
  }
  // The file outgrew the write-back limit: what this slice staged goes up now. A failure
  // leaves the block staged (durable, retried by the uploaders): the slice still commits.
  for (const std::string& key : staged) (void)store_->staging()->UploadNow(key);
  return Status::Ok();
}

void SliceWriterImpl::Abort() {
  closed_ = true;
  DropBuffers();
  WaitUploads();
  std::vector<std::string> keys;
  {
    std::lock_guard lock(up_->mu);
    keys.swap(up_->uploaded);
  }
  (void)store_->DeleteBlocks(keys);  // leftovers: gc's job
}

void SliceWriterImpl::DropBuffers() {
  uint64_t charged = 0;
  for (Block& b : blocks_) {
    charged += std::exchange(b.charged, 0);
    b.data = std::string();
  }
  blocks_.clear();
  store_->budget().Release(charged);
}

void SliceWriterImpl::WaitUploads() {
  std::unique_lock lock(up_->mu);
  up_->cv.wait(lock, [&] { return up_->pending == 0; });
}

}  // namespace

std::unique_ptr<SliceWriter> NewSliceWriter(CachedStore* store, uint64_t id, WriteMode mode) {
  return std::make_unique<SliceWriterImpl>(store, id, mode);
}

}  // namespace tierfs::chunk
