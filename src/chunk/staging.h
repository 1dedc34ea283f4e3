// Staging: write-back (`--writeback`) blocks kept on the local disk until they are uploaded.
//
// A staged block is the file `{root}{key}` (root = `{cache_dir}/{volume_uuid}/rawstaging/`, key
// = the object key "chunks/..."), holding the block's plaintext, uncompressed (and JuiceFS's
// checksum tail, cache_file.h): JuiceFS's
// staging layout (FORMAT.md §6, JuiceFS pkg/chunk/disk_cache.go), so either client uploads what
// the other staged. Stage() writes `{path}.tmp`, fdatasyncs it (unless `fsync` is off), renames it
// and fsyncs the directory: when Stage returns OK the block survives a crash of the process or
// of the machine, and the slice may be committed to meta before the block is uploaded.
//
// Uploader threads (`uploaders` of them) take staged blocks oldest first once they are
// `upload_delay` old (and, with upload hours, only within them) and call `upload(key, plain)`
// (the chunk store encodes and PUTs); a failed upload is retried with back-off (1 s doubling to
// 1 min), never dropped. After a successful upload `uploaded(key, path)` may adopt the file (the
// disk cache renames it into raw/); a file it leaves is unlinked.
// A block removed before its upload (file deleted, truncated, overwritten) is never uploaded:
// Remove() unlinks it and says so, and the caller skips the DELETE. If its upload is running,
// Remove() says that instead and the uploader deletes the object (`remove(key)`) once the PUT
// returns, so a PUT landing after a DELETE leaves nothing behind.
//
// Open() indexes the blocks a crashed or stopped process left (names matching JuiceFS's
// "chunks/..._{indx}_{len}" pattern; the file's mtime is its staging time, so the delay still
// applies) and removes leftover *.tmp files.
//
// Thread-safety: every method may be called concurrently. File I/O runs outside the lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chunk/cache_file.h"
#include "util/status.h"

namespace tierfs::metrics {
class Counter;
class FloatGauge;
class Gauge;
class Registry;
}  // namespace tierfs::metrics

namespace tierfs::chunk {

struct StagingOptions {
  std::string root;                         // ends in '/'
  std::chrono::milliseconds upload_delay{0};  // age before a block is uploaded
  // Uploads only when the local hour h satisfies start <= h < end (wrapping past midnight when
  // start > end); -1 = any hour. `--upload-hours START,END` (JuiceFS cmd/flags.go).
  int upload_start_hour = -1;
  int upload_end_hour = -1;
  bool fsync = true;       // fdatasync staged blocks and their directory before Stage returns
  int uploaders = 20;      // concurrent uploads of staged blocks
  int max_stage_write = 1000;  // concurrent Stage calls; more get EBUSY (the caller uploads)
  // Stage refuses (ENOSPC) when the file system would keep less than this fraction free.
  double free_space_ratio = 0.05;
  // Staged files carry JuiceFS's checksum tail unless none; files with or without one are read
  // (cache_file.h), verified as the level says (an upload reads whole blocks: always verified).
  ChecksumLevel checksum = ChecksumLevel::kExtend;
  // `--upload-deadline`: once the oldest staged block is overdue (past its upload delay) by a
  // third of this, Stage refuses new blocks (EBUSY: they are uploaded directly, which slows the
  // writers to the upload bandwidth) until the backlog is back within it; 0 = no deadline.
  // The same when the staged bytes would take longer than upload_delay + 2/3 of the deadline
  // to upload at the rate uploads made over the last 5 s (a burst). So a block waits at most
  // about upload_delay + deadline while the upload rate holds. Not applied outside the upload
  // hours.
  std::chrono::milliseconds deadline{0};
};

class Staging {
 public:
  using UploadFn = std::function<Status(const std::string& key, const std::string& plain)>;
  using UploadedFn = std::function<void(const std::string& key, const std::string& path)>;
  using RemoveFn = std::function<void(const std::string& key)>;

  // Creates `options.root` if needed and indexes its blocks. EACCES/EIO/ENOSPC when the
  // directory cannot be used. The functions are called from uploader threads and must be
  // thread-safe; `uploaded` and `remove` may be empty. `registry` may be null.
  static Result<std::unique_ptr<Staging>> Open(StagingOptions options, UploadFn upload,
                                               UploadedFn uploaded, RemoveFn remove,
                                               metrics::Registry* registry);
  // Stops the uploaders (an upload under way finishes); staged blocks stay on disk.
  ~Staging();

  // Stores `plain` as staged block `key` durably. EBUSY (max_stage_write reached), ENOSPC (the
  // disk is too full), EIO (the disk failed): the block is not staged, upload it directly.
  Status Stage(const std::string& key, std::string_view plain);
  // Bytes [off, off + out.size()) of staged block `key` (`len` bytes long); false when it is
  // not staged (or went away). Counted as a staging read.
  bool ReadAt(const std::string& key, uint32_t len, uint32_t off, std::span<char> out);
  // The whole staged block `key`, or nothing.
  std::optional<std::string> Load(const std::string& key, uint32_t len);
  bool Contains(const std::string& key) const;

  enum class Removed {
    kAbsent,     // not staged (uploaded or never staged): the caller deletes the object
    kDropped,    // staged and never uploaded: removed, no object exists
    kUploading,  // its upload is running: the uploader deletes the object when it ends
  };
  Removed Remove(const std::string& key);

  // Uploads staged block `key` now in the calling thread (a file that outgrew the write-back
  // size limit must be in the object store when close returns). OK when `key` is not staged.
  // The upload's error otherwise (the block stays staged and is retried later).
  Status UploadNow(const std::string& key);

  // Makes every staged block due now (ignoring the delay and the upload hours) and waits until
  // none is left or `max` passes. ETIMEDOUT with the count left; EIO if uploads keep failing
  // past `max` (the last error).
  Status Flush(std::chrono::milliseconds max);

  struct Stats {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
    double oldest_age_s = 0;  // seconds since the oldest staged block was staged
    uint64_t uploading = 0;
    double max_delay_s = 0;  // longest stage-to-upload-end time of an uploaded block, seconds
  };
  Stats stats() const;
  const std::string& root() const { return root_; }

 private:
  using Clock = std::chrono::system_clock;
  struct Entry {
    Clock::time_point staged;
    uint64_t size = 0;
    Clock::time_point due;  // not uploaded before this (delay, retry back-off)
    std::chrono::milliseconds backoff{0};
    bool uploading = false;
    bool removed = false;  // removed while uploading: delete the object after the PUT
    uint64_t seq = 0;      // position in queue_
  };
  Staging(StagingOptions options, UploadFn upload, UploadedFn uploaded, RemoveFn remove,
          metrics::Registry* registry);
  void Index(const std::string& key, uint64_t size, Clock::time_point staged);
  void UploaderLoop();
  // The oldest entry that may be uploaded now (queue_ order), or nullptr; `next` = when the
  // first waiting entry becomes due. Caller holds mu_.
  std::pair<const std::string*, Clock::time_point> NextDue(Clock::time_point now);
  bool InUploadHours(Clock::time_point now) const;  // InUploadWindow at `now`'s local hour
  // Whether new blocks should be uploaded directly to hold the deadline (see StagingOptions).
  // Caller holds mu_.
  bool BehindDeadline(Clock::time_point now);
  // Reads, uploads and retires `key` (marked uploading by the caller). Runs without mu_.
  Status UploadOne(const std::string& key);
  void Retire(const std::string& key, const Status& st);
  std::string Path(const std::string& key) const { return root_ + key; }
  void UpdateGauges();

  const StagingOptions opt_;
  const std::string root_;
  UploadFn upload_;
  UploadedFn uploaded_;
  RemoveFn remove_;
  mutable std::mutex mu_;
  std::condition_variable wake_;     // uploaders: a block was staged, became due, or stop
  std::condition_variable changed_;  // Flush: a block left
  std::unordered_map<std::string, Entry> index_;
  std::map<std::pair<Clock::time_point, uint64_t>, std::string> queue_;  // by staging time
  uint64_t next_seq_ = 0;
  uint64_t bytes_ = 0;
  uint64_t uploading_ = 0;
  int flushing_ = 0;  // Flush calls waiting: every block is due
  int writing_ = 0;   // Stage calls under way
  bool stop_ = false;
  Status last_error_;
  metrics::Gauge* blocks_gauge_ = nullptr;
  metrics::Gauge* bytes_gauge_ = nullptr;
  metrics::FloatGauge* oldest_gauge_ = nullptr;
  metrics::Gauge* uploading_gauge_ = nullptr;
  metrics::Gauge* queue_gauge_ = nullptr;
  metrics::Counter* errors_ = nullptr;
  metrics::Counter* staged_ = nullptr;
  metrics::Counter* reads_ = nullptr;
  metrics::Counter* read_bytes_ = nullptr;
  metrics::Counter* dropped_ = nullptr;
  metrics::Counter* uploads_ = nullptr;
  metrics::Counter* delay_seconds_ = nullptr;  // sum of staging delays of uploaded blocks (s)
  metrics::FloatGauge* max_delay_ = nullptr;   // the longest of them
  double max_delay_s_ = 0;                     // under mu_
  // Uploads of the last few seconds (end time, bytes): the upload rate the deadline plans with.
  std::deque<std::pair<Clock::time_point, uint64_t>> recent_;
  uint64_t recent_bytes_ = 0;
  Clock::time_point first_upload_{};
  std::vector<std::thread> threads_;
};

// Whether `key` has the form of a block key (JuiceFS's staging scan pattern
// ^chunks/(\d+|[0-9A-Fa-f]{2})/\d+/\d+_\d+_\d+$); `len` receives the block length.
bool ParseStagedKey(std::string_view key, uint32_t* len);

// Whether local hour `hour` (0..23) is inside the upload window [start, end), wrapping past
// midnight when start > end; start or end -1 = always (JuiceFS pkg/chunk canUpload).
bool InUploadWindow(int start, int end, int hour);

}  // namespace tierfs::chunk
