// The tierfs commands. Each Run* takes parsed flags and returns the process exit code; errors
// are printed as one line on stderr ("tierfs format: <reason>"). This is the only layer that
// exits or may see exceptions (CLI11's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "util/status.h"

namespace tierfs::cli {

// Prints "tierfs <cmd>: <msg>" on stderr and returns 1.
int Fail(const std::string& cmd, const std::string& msg);

struct FormatFlags {
  std::string meta_url;
  std::string name;
  std::string storage = "file";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string session_token;      // s3: an STS token; wasb: a SAS token
  std::string block_size = "4M";  // "4M", "4096" (KiB)
  std::string compress = "none";
  int trash_days = 1;
  uint64_t capacity_gib = 0;
  uint64_t inodes = 0;
  bool hash_prefix = false;
  bool force = false;
  std::string encrypt_rsa_key;                // path of the PEM file ("" = no encryption)
  std::string encrypt_algo = "aes256gcm-rsa";  // or chacha20-rsa
  bool encrypt_flags_given = false;           // either flag was on the command line
};
void AddFormat(CLI::App& app, FormatFlags& f, int& rc);

struct MountFlags {
  std::string meta_url;
  std::string mountpoint;
  bool background = false;
  std::string log_path;
  std::string log_level = "info";
  std::string cache_dir;
  std::string cache_size = "102400";  // MiB
  std::string buffer_size = "300";    // MiB
  std::string attr_cache = "1";       // seconds
  std::string entry_cache = "1";
  std::string dir_entry_cache = "1";
  std::string metrics_addr = "127.0.0.1:9567";
  std::string heartbeat = "12";
  int max_uploads = 20;
  int max_deletes = 10;
  int io_retries = 10;
  int prefetch = 3;
  int max_downloads = 200;
  std::string upload_limit;    // Mbps ("" = the volume's UploadLimit)
  std::string download_limit;  // Mbps ("" = the volume's DownloadLimit)
  std::string get_timeout = "60";  // seconds
  std::string put_timeout = "60";
  bool no_bgjob = false;
  bool read_only = false;
  bool enable_xattr = false;  // accepted for JuiceFS compatibility; xattrs are always on
  bool writeback = false;
  std::string writeback_max_size = "25M";  // bytes unless suffixed; 0 = no limit
  std::string upload_delay = "0";          // seconds unless suffixed
  std::string upload_hours;                // "START,END" (or START-END), local hours
  std::string upload_deadline = "10m";     // 0 = none
  int max_stage_write = 1000;
  bool no_stage_fsync = false;
  double free_space_ratio = 0.1;
  std::string verify_cache_checksum = "extend";
  std::string cache_eviction = "lru";
  std::string cache_expire = "0";
  bool cache_partial_only = false;
  std::string max_readahead = "0";  // MiB unless suffixed; 0 = --prefetch blocks
  std::vector<std::string> fuse_options;
};
void AddMount(CLI::App& app, MountFlags& f, int& rc);

void AddUmount(CLI::App& app, int& rc);
void AddStatus(CLI::App& app, int& rc);
void AddInfo(CLI::App& app, int& rc);
void AddDump(CLI::App& app, int& rc);
void AddLoad(CLI::App& app, int& rc);
void AddObjbench(CLI::App& app, int& rc);
void AddFlush(CLI::App& app, int& rc);
void AddWarmup(CLI::App& app, int& rc);

// Uploads every staged block of the mount holding `path`, waiting up to `timeout_ms`
// (flush_cmd.cc); the mount's error (ETIMEDOUT, EIO with the count left) otherwise.
Status FlushMount(const std::string& path, int64_t timeout_ms);

}  // namespace tierfs::cli
