// Assembles a mount from its settings: meta engine, object store, chunk store, VFS, metrics
// endpoint, FUSE loop; tears it down in reverse order.
#pragma once

#include <cstdint>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "chunk/cache_file.h"
#include "util/status.h"

namespace tierfs::cli {

struct MountSettings {
  std::string meta_url;
  std::string mountpoint;
  std::string cache_dir;
  uint64_t cache_size = 100ULL << 30;  // bytes
  uint64_t buffer_size = 300ULL << 20;  // bytes
  double attr_timeout = 1, entry_timeout = 1, dir_entry_timeout = 1;  // seconds
  int heartbeat_s = 12;
  std::string metrics_addr;
  int max_uploads = 20;
  int max_deletes = 10;
  int io_retries = 10;  // retries after a request's first try
  int prefetch = 3;  // read-ahead threads = blocks fetched ahead of a sequential reader
  int max_downloads = 200;
  std::optional<int64_t> upload_limit_mbps;  // unset: the volume's UploadLimit
  std::optional<int64_t> download_limit_mbps;
  int64_t get_timeout_ms = 60'000;
  int64_t put_timeout_ms = 60'000;
  bool no_bgjob = false;
  bool read_only = false;
  bool writeback = false;
  uint64_t writeback_max_size = 25ULL << 20;  // bytes; 0 = no limit
  int64_t upload_delay_ms = 0;
  int64_t upload_deadline_ms = 600'000;
  int upload_start_hour = -1, upload_end_hour = -1;  // -1: any hour
  int max_stage_write = 1000;
  bool stage_fsync = true;
  double free_space_ratio = 0.1;
  chunk::ChecksumLevel cache_checksum = chunk::ChecksumLevel::kExtend;
  chunk::Eviction cache_eviction = chunk::Eviction::kLru;
  int64_t cache_expire_s = 0;
  bool cache_partial_only = false;
  uint64_t max_readahead = 0;  // bytes
  std::vector<std::string> fuse_options;
};

// Opens the metadata, loads and version-checks the volume, opens its bucket. Changes nothing.
Status PreflightMount(const MountSettings& s);

// Mounts and serves until unmounted. When ready_fd >= 0, writes "ready" (or the error text) to
// it once the mount exists (or failed) and closes it. Returns the process exit code.
int RunMount(const MountSettings& s, int ready_fd);

}  // namespace tierfs::cli
