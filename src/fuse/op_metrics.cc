#include "fuse/op_metrics.h"

namespace tierfs::fuse {

namespace {
constexpr const char* kOpNames[kOpCount] = {
    "lookup",    "getattr",  "setattr", "readlink",   "mknod",    "mkdir",    "unlink",
    "rmdir",     "symlink",  "rename",  "link",       "open",     "create",   "read",
    "write",     "flush",    "release", "fsync",      "opendir",  "readdir",  "statfs",
    "setxattr",  "getxattr", "listxattr", "removexattr", "access", "getlk",   "setlk",
    "flock",     "fallocate", "copy_file_range"};
}

OpMetrics::OpMetrics(metrics::Registry* r) {
  for (int i = 0; i < kOpCount; i++) {
    metrics::Labels l{{"method", kOpNames[i]}};
    ops[i] = r->GetCounter("tierfs_fuse_ops_total", "FUSE operations", l);
    latency[i] = r->GetHistogram("tierfs_fuse_ops_durations_histogram_seconds",
                                 "FUSE operation latency", metrics::LatencyBuckets(), l);
  }
  sizes[kReadBytes] = r->GetHistogram("tierfs_fuse_read_size_bytes", "FUSE read sizes",
                                      metrics::SizeBuckets());
  sizes[kWriteBytes] = r->GetHistogram("tierfs_fuse_written_size_bytes", "FUSE write sizes",
                                       metrics::SizeBuckets());
}

}  // namespace tierfs::fuse
