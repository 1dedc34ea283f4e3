// Private to src/fuse: per-op counters and latency histograms (JuiceFS names with the tierfs_
// prefix: tierfs_fuse_ops_total{method}, tierfs_fuse_ops_durations_histogram_seconds{method},
// tierfs_fuse_read_size_bytes, tierfs_fuse_written_size_bytes).
#pragma once

#include <chrono>
#include <cstddef>

#include "fuse/fuse_ops.h"
#include "metrics/registry.h"

namespace tierfs::fuse {

enum Op {
  kLookup, kGetattr, kSetattr, kReadlink, kMknod, kMkdir, kUnlink, kRmdir, kSymlink, kRename,
  kLink, kOpen, kCreate, kRead, kWrite, kFlush, kRelease, kFsync, kOpendir, kReaddir, kStatfs,
  kSetxattr, kGetxattr, kListxattr, kRemovexattr, kAccess, kGetlk, kSetlk, kFlock, kFallocate,
  kCopyFileRange, kOpCount
};
enum SizeMetric { kReadBytes, kWriteBytes };

struct OpMetrics {
  explicit OpMetrics(metrics::Registry* r);
  metrics::Counter* ops[kOpCount] = {};
  metrics::Histogram* latency[kOpCount] = {};
  metrics::Histogram* sizes[2] = {};
};

// Counts one operation when it arrives and observes its duration when it goes out of scope.
// Counting at arrival, before the reply, means a request the caller has seen answered is
// always in the count (a `.stats` opened next shows it: the destructor runs after the reply).
class OpTimer {
 public:
  OpTimer(fuse_req_t req, Op op)
      : m_(static_cast<MountContext*>(fuse_req_userdata(req))->metrics),
        op_(op),
        start_(std::chrono::steady_clock::now()) {
    if (m_) m_->ops[op_]->Inc();
  }
  ~OpTimer() {
    if (!m_) return;
    m_->latency[op_]->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  void Bytes(SizeMetric which, size_t n) {
    if (m_) m_->sizes[which]->Observe(double(n));
  }

 private:
  OpMetrics* m_;
  Op op_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tierfs::fuse
