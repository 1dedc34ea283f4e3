#include "chunk/staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "chunk/chunk_store.h"
#include "metrics/registry.h"
#include "object/metrics_bridge.h"
#include "util/file_io.h"
#include "util/log.h"

namespace tierfs::chunk {
namespace {

using object::mbridge::Inc;

constexpr auto kFirstBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::minutes(1);
// Uploaders wake at least this often to refresh the age gauge and to notice upload hours.
constexpr auto kMaxSleep = std::chrono::seconds(1);
// Upload throughput is estimated over this window (for the deadline's burst check).
constexpr auto kRateWindow = std::chrono::seconds(5);

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool AllHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(uint8_t(c)) != 0; });
}

}  // namespace

bool ParseStagedKey(std::string_view key, uint32_t* len) {
  // chunks/{A}/{B}/{id}_{indx}_{len}, A decimal or two hex digits, B decimal.
  if (!key.starts_with("chunks/")) return false;
  key.remove_prefix(7);
  size_t s1 = key.find('/');
  if (s1 == std::string_view::npos) return false;
  std::string_view a = key.substr(0, s1);
  if (!AllDigits(a) && !(a.size() == 2 && AllHex(a))) return false;
  key.remove_prefix(s1 + 1);
  size_t s2 = key.find('/');
  if (s2 == std::string_view::npos || !AllDigits(key.substr(0, s2))) return false;
  std::string_view name = key.substr(s2 + 1);
  size_t u1 = name.find('_');
  size_t u2 = u1 == std::string_view::npos ? u1 : name.find('_', u1 + 1);
  if (u2 == std::string_view::npos) return false;
  if (!AllDigits(name.substr(0, u1)) || !AllDigits(name.substr(u1 + 1, u2 - u1 - 1))) return false;
  auto l = BlockKeyLength(name);
  if (!l) return false;
  if (len != nullptr) *len = *l;
  return true;
}

Staging::Staging(StagingOptions options, UploadFn upload, UploadedFn uploaded, RemoveFn remove,
                 metrics::Registry* registry)
    : opt_(std::move(options)), root_(opt_.root), upload_(std::move(upload)),
      uploaded_(std::move(uploaded)), remove_(std::move(remove)) {
  if (registry == nullptr) return;
  blocks_gauge_ = registry->GetGauge("tierfs_staging_blocks", "Number of blocks in the staging path.");
  bytes_gauge_ = registry->GetGauge("tierfs_staging_block_bytes",
                                    "Total bytes of blocks in the staging path.");
  errors_ = registry->GetCounter("tierfs_staging_errors",
                                 "Failed stage writes and failed uploads of staged blocks.");
  staged_ = registry->GetCounter("tierfs_staging_writes", "Blocks written to the staging path.");
  reads_ = registry->GetCounter("tierfs_staging_reads", "Reads served from staged blocks.");
  read_bytes_ = registry->GetCounter("tierfs_staging_read_bytes",
                                     "Bytes read from staged blocks.");
  dropped_ = registry->GetCounter("tierfs_staging_dropped",
                                  "Staged blocks removed before their upload (never uploaded).");
  uploads_ = registry->GetCounter("tierfs_staging_uploads", "Staged blocks uploaded.");
  oldest_gauge_ = registry->GetFloatGauge("tierfs_staging_oldest_block_age_seconds",
                                         "Seconds since the oldest staged block was staged.");
  uploading_gauge_ = registry->GetGauge("tierfs_staging_uploading",
                                        "Staged blocks being uploaded now.");
  queue_gauge_ = registry->GetGauge("tierfs_staging_upload_queue",
                                    "Staged blocks waiting for their upload.");
  max_delay_ = registry->GetFloatGauge(
      "tierfs_staging_block_delay_max_seconds",
      "Longest time an uploaded block spent staged, from its stage write to the end of its upload.");
  delay_seconds_ = registry->GetCounter(
      "tierfs_staging_block_delay_seconds",
      "Total seconds uploaded blocks spent staged before their upload ended.");
}

Result<std::unique_ptr<Staging>> Staging::Open(StagingOptions options, UploadFn upload,
                                               UploadedFn uploaded, RemoveFn remove,
                                               metrics::Registry* registry) {
  if (options.root.empty()) return Err(EINVAL, "staging directory not set");
  if (options.root.back() != '/') options.root += '/';
  if (int e = MakeParents(options.root); e != 0) {
    return Err(e == ENOSPC ? ENOSPC : EACCES,
               "cannot create staging directory " + options.root + ": " + std::strerror(e));
  }
  std::unique_ptr<Staging> s(new Staging(std::move(options), std::move(upload),
                                         std::move(uploaded), std::move(remove), registry));
  size_t found = 0;
  RETURN_IF_ERROR(ScanBlockFiles(s->root_, [&](const std::string& key, const struct stat& st) {
    uint32_t len = 0;
    if (!ParseStagedKey(key, &len)) return;
    if (!ShapeOf(len, uint64_t(st.st_size)).valid) {
      // Not what we (or JuiceFS) write: a torn file from a machine crash without fsync.
      TIERFS_LOG_WARN("staging: {}{} has {} bytes, its key says {}; left in place, not uploaded",
                      s->root_, key, st.st_size, len);
      return;
    }
    auto mtime = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    s->Index(key, len, mtime);
    ++found;
  }));
  if (found > 0) TIERFS_LOG_INFO("staging: {} staged blocks found in {}", found, s->root_);
  s->UpdateGauges();
  for (int i = 0; i < std::max(1, s->opt_.uploaders); i++) {
    s->threads_.emplace_back([p = s.get()] { p->UploaderLoop(); });
  }
  return s;
}

Staging::~Staging() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void Staging::Index(const std::string& key, uint64_t size, Clock::time_point staged) {
  std::lock_guard lk(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    // Staged again (a rewrite of the same block key cannot happen: slice ids are unique; a
    // rescan can): keep the older time so the deadline still holds.
    return;
  }
  Entry e;
  e.staged = staged;
  e.size = size;
  e.due = staged + opt_.upload_delay;
  e.seq = next_seq_++;
  queue_.emplace(std::make_pair(staged, e.seq), key);
  index_.emplace(key, e);
  bytes_ += size;
}

Status Staging::Stage(const std::string& key, std::string_view plain) {
  {
    std::lock_guard lk(mu_);
    if (writing_ >= opt_.max_stage_write) return Status(EBUSY, "too many concurrent stage writes");
    if (BehindDeadline(Clock::now())) return Status(EBUSY, "staged uploads are behind their deadline");
    ++writing_;
  }
  struct Done {
    Staging* s;
    ~Done() {
      std::lock_guard lk(s->mu_);
      --s->writing_;
    }
  } done{this};
  const std::string path = Path(key);
  const std::string tmp = path + ".tmp";
  if (FreeRatioAfter(root_, plain.size()) < opt_.free_space_ratio) {
    Inc(errors_);
    return Status(ENOSPC, "staging disk " + root_ + " is full");
  }
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {  // the first block of its directory
    if (int e = MakeParents(path); e != 0) {
      Inc(errors_);
      return Status(e == ENOSPC ? ENOSPC : EIO, "cannot create the directory of " + path + ": " +
                                                    std::strerror(e));
    }
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  int err = fd < 0 ? errno : WriteAll(fd, plain);
  if (err == 0 && opt_.checksum != ChecksumLevel::kNone) err = WriteAll(fd, ChecksumTail(plain));
  if (err == 0 && opt_.fsync && fdatasync(fd) != 0) err = errno;
  if (fd >= 0 && close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err == 0 && opt_.fsync) err = FsyncDir(path.substr(0, path.rfind('/')));
  if (err != 0) {
    unlink(tmp.c_str());
    Inc(errors_);
    return Status(err == ENOSPC || err == EDQUOT ? ENOSPC : EIO,
                  "cannot stage " + key + " in " + root_ + ": " + std::strerror(err));
  }
  Index(key, plain.size(), Clock::now());
  Inc(staged_);
  UpdateGauges();
  wake_.notify_one();
  return Status::Ok();
}

bool Staging::Contains(const std::string& key) const {
  std::lock_guard lk(mu_);
  auto it = index_.find(key);
  return it != index_.end() && !it->second.removed;
}

bool Staging::ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out) {
  // A file gone meanwhile was uploaded (and moved): the caller reads it elsewhere.
  if (!Contains(key) || ReadBlockFile(Path(key), len, opt_.checksum, off, out) != 0) return false;
  Inc(reads_);
  Inc(read_bytes_, out.size());
  return true;
}

std::optional<std::string> Staging::Load(const std::string& key, uint32_t len) {
  std::string data(len, '\0');
  if (!ReadAt(key, len, 0, std::span<char>(data.data(), len))) return std::nullopt;
  return data;
}

Staging::Removed Staging::Remove(const std::string& key) {
  std::unique_lock lk(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return Removed::kAbsent;
  if (it->second.uploading) {
    it->second.removed = true;
    return Removed::kUploading;
  }
  queue_.erase({it->second.staged, it->second.seq});
  bytes_ -= it->second.size;
  index_.erase(it);
  lk.unlock();
  unlink(Path(key).c_str());
  Inc(dropped_);
  UpdateGauges();
  changed_.notify_all();
  return Removed::kDropped;
}

bool InUploadWindow(int start, int end, int hour) {
  if (start < 0 || end < 0 || start == end) return true;
  return start < end ? (hour >= start && hour < end) : (hour >= start || hour < end);
}

bool Staging::BehindDeadline(Clock::time_point now) {
  if (opt_.deadline.count() <= 0 || queue_.empty() || !InUploadHours(now)) return false;
  const Entry& oldest = index_.at(queue_.begin()->second);
  if (now - oldest.due > opt_.deadline / 3) return true;
  // A burst: the bytes waiting would take longer to upload, at the rate uploads made over the
  // last kRateWindow, than the delay and two thirds of the deadline.
  while (!recent_.empty() && now - recent_.front().first > kRateWindow) {
    recent_bytes_ -= recent_.front().second;
    recent_.pop_front();
  }
  if (now - first_upload_ < kRateWindow || recent_bytes_ == 0) return false;  // no estimate yet
  const double rate = double(recent_bytes_) / std::chrono::duration<double>(kRateWindow).count();
  const auto drain = std::chrono::duration<double>(double(bytes_) / rate);
  return drain > opt_.upload_delay + opt_.deadline * 2 / 3;
}

bool Staging::InUploadHours(Clock::time_point now) const {
  if (opt_.upload_start_hour < 0 || opt_.upload_end_hour < 0) return true;
  std::time_t t = Clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  return InUploadWindow(opt_.upload_start_hour, opt_.upload_end_hour, local.tm_hour);
}

std::pair<const std::string*, Staging::Clock::time_point> Staging::NextDue(Clock::time_point now) {
  Clock::time_point next = now + kMaxSleep;
  if (flushing_ == 0 && !InUploadHours(now)) return {nullptr, next};
  // Oldest first. Entries under back-off or still within the delay are skipped; the delay is
  // the same for all, so the first entry not yet due ends the scan unless it is backing off.
  for (const auto& [order, key] : queue_) {
    const Entry& e = index_.at(key);
    if (e.uploading) continue;
    if (flushing_ > 0 && e.backoff.count() == 0) return {&key, now};
    if (e.due <= now) return {&key, now};
    next = std::min(next, e.due);
    if (e.backoff.count() == 0) break;
  }
  return {nullptr, next};
}

void Staging::UploaderLoop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    auto [key, next] = NextDue(Clock::now());
    if (key == nullptr) {
      wake_.wait_until(lk, next);
      lk.unlock();
      UpdateGauges();
      lk.lock();
      continue;
    }
    std::string k = *key;
    index_.at(k).uploading = true;
    ++uploading_;
    lk.unlock();
    Status st = UploadOne(k);
    Retire(k, st);
    lk.lock();
  }
}

Status Staging::UploadOne(const std::string& key) {
  uint64_t size;
  {
    std::lock_guard lk(mu_);
    size = index_.at(key).size;
  }
  std::string plain(size, '\0');
  // A whole-block read: verified at every level but none.
  if (int err = ReadBlockFile(Path(key), uint32_t(size), opt_.checksum, 0, plain); err != 0) {
    return Status(EIO, "cannot read staged block " + Path(key) + ": " +
                           (err == EBADMSG ? "bad size or checksum" : std::strerror(err)));
  }
  return upload_(key, plain);
}

void Staging::Retire(const std::string& key, const Status& st) {
  std::unique_lock lk(mu_);
  --uploading_;
  auto it = index_.find(key);
  Entry& e = it->second;
  e.uploading = false;
  if (!st.ok() && !e.removed) {
    e.backoff = e.backoff.count() == 0 ? std::chrono::milliseconds(kFirstBackoff)
                                       : std::min<std::chrono::milliseconds>(2 * e.backoff, kMaxBackoff);
    e.due = Clock::now() + e.backoff;
    last_error_ = st;
    const auto backoff_ms = e.backoff.count();
    lk.unlock();
    Inc(errors_);
    TIERFS_LOG_WARN("staging: upload of {} failed (retried in {} ms): {}", key, backoff_ms,
                    st.ToString());
    changed_.notify_all();
    return;
  }
  const bool removed = e.removed;
  const auto now = Clock::now();
  const double waited = std::chrono::duration<double>(now - e.staged).count();
  if (!removed) {
    max_delay_s_ = std::max(max_delay_s_, waited);
    if (first_upload_ == Clock::time_point()) first_upload_ = now;
    recent_.emplace_back(now, e.size);
    recent_bytes_ += e.size;
  }
  const double worst = max_delay_s_;
  queue_.erase({e.staged, e.seq});
  bytes_ -= e.size;
  index_.erase(it);
  lk.unlock();
  const std::string path = Path(key);
  if (removed) {
    // Deleted while its PUT ran: the object may now exist (even a failed PUT may have landed);
    // delete it, the caller did not.
    if (remove_) remove_(key);
    unlink(path.c_str());
    Inc(dropped_);
  } else {
    Inc(uploads_);
    Inc(delay_seconds_, uint64_t(std::max(0.0, waited)));
    if (max_delay_) max_delay_->Set(worst);
    if (uploaded_) uploaded_(key, path);
    unlink(path.c_str());  // ENOENT when adopted
  }
  UpdateGauges();
  changed_.notify_all();
}

Status Staging::UploadNow(const std::string& key) {
  {
    std::unique_lock lk(mu_);
    for (;;) {
      auto it = index_.find(key);
      if (it == index_.end() || it->second.removed) return Status::Ok();
      if (!it->second.uploading) {
        it->second.uploading = true;
        ++uploading_;
        break;
      }
      changed_.wait(lk);  // an uploader has it: wait for its outcome
    }
  }
  Status st = UploadOne(key);
  Retire(key, st);
  return st;
}

Status Staging::Flush(std::chrono::milliseconds max) {
  const auto deadline = Clock::now() + max;
  std::unique_lock lk(mu_);
  ++flushing_;
  for (auto& [key, e] : index_) e.backoff = std::chrono::milliseconds(0);
  wake_.notify_all();
  bool drained = changed_.wait_until(lk, deadline, [&] { return index_.empty() || stop_; });
  --flushing_;
  if (drained && index_.empty()) return Status::Ok();
  std::string left = std::to_string(index_.size()) + " staged blocks not uploaded";
  if (!last_error_.ok()) return Status(EIO, left + "; last error: " + last_error_.ToString());
  return Status(ETIMEDOUT, left);
}

Staging::Stats Staging::stats() const {
  std::lock_guard lk(mu_);
  Stats s;
  s.blocks = index_.size();
  s.bytes = bytes_;
  s.uploading = uploading_;
  s.max_delay_s = max_delay_s_;
  if (!queue_.empty()) {
    s.oldest_age_s = std::chrono::duration<double>(Clock::now() - queue_.begin()->first.first).count();
  }
  return s;
}

void Staging::UpdateGauges() {
  if (blocks_gauge_ == nullptr) return;
  Stats s = stats();
  blocks_gauge_->Set(int64_t(s.blocks));
  bytes_gauge_->Set(int64_t(s.bytes));
  oldest_gauge_->Set(s.oldest_age_s);
  uploading_gauge_->Set(int64_t(s.uploading));
  queue_gauge_->Set(int64_t(s.blocks - std::min(s.blocks, s.uploading)));
}

}  // namespace tierfs::chunk
