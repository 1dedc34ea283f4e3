// tierfs mount META-URL MOUNTPOINT: serves a volume through FUSE (JuiceFS cmd/mount.go flags).
// With -d the command returns once the mount is ready, its exit code telling whether it is.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "chunk/cache_file.h"
#include "cli/mount_runner.h"
#include "util/units.h"
#include "util/url.h"

namespace tierfs::cli {
namespace {

// True when `path` is a mount point (it appears as such in /proc/self/mountinfo).
bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // fields: id parent major:minor root mountpoint ...
    size_t p = 0;
    for (int i = 0; i < 4 && p != std::string::npos; i++) p = line.find(' ', p + 1);
    if (p == std::string::npos) continue;
    size_t e = line.find(' ', p + 1);
    if (line.substr(p + 1, e - p - 1) == path) return true;
  }
  return false;
}

Result<double> Seconds(const std::string& text) {
  ASSIGN_OR_RETURN(auto ns, ParseDuration(text));
  return double(ns.count()) / 1e9;
}

Result<int64_t> Millis(const std::string& flag, const std::string& text) {
  auto ns = ParseDuration(text);
  if (!ns) return Err(ns.error().code(), flag + ": " + ns.error().message());
  return std::chrono::duration_cast<std::chrono::milliseconds>(*ns).count();
}

// An absent flag ("") leaves the volume's setting in force.
Result<std::optional<int64_t>> Mbps(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  auto v = ParseMbps(text);
  if (!v) return Err(v.error().code(), flag + ": " + v.error().message());
  return std::optional<int64_t>(*v);
}

// "START,END" or "START-END", hours 0..23 (JuiceFS cmd/mount.go parseHours); START == END
// means any hour.
Status ParseUploadHours(const std::string& text, int* start, int* end) {
  *start = *end = -1;
  if (text.empty()) return Status::Ok();
  size_t sep = text.find_first_of(",-");
  auto hour = [](const std::string& t, int* out) {
    if (t.empty() || t.size() > 2 || !std::all_of(t.begin(), t.end(), ::isdigit)) return false;
    *out = std::stoi(t);
    return *out <= 23;
  };
  int s = 0, e = 0;
  if (sep == std::string::npos || !hour(text.substr(0, sep), &s) || !hour(text.substr(sep + 1), &e)) {
    return Status(EINVAL, "--upload-hours: want START,END in hours 0-23, got \"" + text + "\"");
  }
  if (s != e) {
    *start = s;
    *end = e;
  }
  return Status::Ok();
}

Status CheckMountpoint(const std::string& mp) {
  struct stat st;
  if (::stat(mp.c_str(), &st) != 0) {
    if (errno == ENOTCONN) return Status(EBUSY, "mount point " + mp + " is a dead mount; unmount it first");
    return Status(ENOENT, "mount point " + mp + " does not exist");
  }
  if (!S_ISDIR(st.st_mode)) return Status(ENOTDIR, "mount point " + mp + " is not a directory");
  if (IsMounted(mp)) return Status(EBUSY, mp + " is already mounted");
  return Status::Ok();
}

Result<MountSettings> Settings(const MountFlags& f) {
  MountSettings s;
  s.meta_url = f.meta_url;
  std::error_code ec;
  s.mountpoint = std::filesystem::weakly_canonical(f.mountpoint, ec).string();
  if (ec || s.mountpoint.empty()) s.mountpoint = f.mountpoint;
  ASSIGN_OR_RETURN(s.buffer_size, ParseBytes(f.buffer_size, 1 << 20));
  if (s.buffer_size < (32ULL << 20)) s.buffer_size = 32ULL << 20;  // JuiceFS minimum
  ASSIGN_OR_RETURN(s.cache_size, ParseBytes(f.cache_size, 1 << 20));
  ASSIGN_OR_RETURN(s.attr_timeout, Seconds(f.attr_cache));
  ASSIGN_OR_RETURN(s.entry_timeout, Seconds(f.entry_cache));
  ASSIGN_OR_RETURN(s.dir_entry_timeout, Seconds(f.dir_entry_cache));
  ASSIGN_OR_RETURN(double hb, Seconds(f.heartbeat));
  s.heartbeat_s = std::clamp(int(hb), 1, 600);
  s.cache_dir = f.cache_dir.empty() ? (geteuid() == 0 ? "/var/jfsCache" : "") : f.cache_dir;
  if (s.cache_size == 0) s.cache_dir.clear();  // --cache-size 0 disables the disk tier (JuiceFS)
  s.metrics_addr = f.metrics_addr;
  if (f.max_uploads < 1) return Err(EINVAL, "--max-uploads must be at least 1");
  if (f.max_downloads < 1) return Err(EINVAL, "--max-downloads must be at least 1");
  if (f.io_retries < 0) return Err(EINVAL, "--io-retries must not be negative");
  s.max_uploads = f.max_uploads;
  s.max_downloads = f.max_downloads;
  s.max_deletes = f.max_deletes;
  s.io_retries = f.io_retries;
  ASSIGN_OR_RETURN(s.upload_limit_mbps, Mbps("--upload-limit", f.upload_limit));
  ASSIGN_OR_RETURN(s.download_limit_mbps, Mbps("--download-limit", f.download_limit));
  ASSIGN_OR_RETURN(s.get_timeout_ms, Millis("--get-timeout", f.get_timeout));
  ASSIGN_OR_RETURN(s.put_timeout_ms, Millis("--put-timeout", f.put_timeout));
  s.prefetch = std::clamp(f.prefetch, 0, 64);
  s.no_bgjob = f.no_bgjob;
  s.read_only = f.read_only;
  s.writeback = f.writeback;
  ASSIGN_OR_RETURN(s.writeback_max_size, ParseBytes(f.writeback_max_size, 1));
  ASSIGN_OR_RETURN(s.upload_delay_ms, Millis("--upload-delay", f.upload_delay));
  ASSIGN_OR_RETURN(s.upload_deadline_ms, Millis("--upload-deadline", f.upload_deadline));
  RETURN_IF_ERROR(ParseUploadHours(f.upload_hours, &s.upload_start_hour, &s.upload_end_hour));
  if (f.max_stage_write < 0) return Err(EINVAL, "--max-stage-write must not be negative");
  s.max_stage_write = f.max_stage_write == 0 ? INT32_MAX : f.max_stage_write;  // 0: no limit
  s.stage_fsync = !f.no_stage_fsync;
  if (f.free_space_ratio < 0 || f.free_space_ratio >= 1) {
    return Err(EINVAL, "--free-space-ratio must be in [0, 1)");
  }
  s.free_space_ratio = f.free_space_ratio == 0 ? 0.1 : f.free_space_ratio;  // JuiceFS: 0 -> 0.1
  ASSIGN_OR_RETURN(s.cache_checksum, chunk::ParseChecksumLevel(f.verify_cache_checksum));
  ASSIGN_OR_RETURN(s.cache_eviction, chunk::ParseEviction(f.cache_eviction));
  ASSIGN_OR_RETURN(int64_t expire_ms, Millis("--cache-expire", f.cache_expire));
  s.cache_expire_s = (expire_ms + 999) / 1000;
  s.cache_partial_only = f.cache_partial_only;
  ASSIGN_OR_RETURN(s.max_readahead, ParseBytes(f.max_readahead, 1 << 20));
  if (s.writeback && s.cache_dir.empty()) {
    return Err(EINVAL, "--writeback needs a disk cache (--cache-dir, and --cache-size > 0)");
  }
  for (const auto& o : f.fuse_options) {
    // -o a,b,c as libfuse takes it.
    size_t start = 0;
    while (start <= o.size()) {
      size_t comma = o.find(',', start);
      std::string one = o.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!one.empty()) s.fuse_options.push_back(one);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return s;
}

// Forks; the parent waits for the child's "ready" byte or its error text on a pipe.
int RunInBackground(const MountSettings& s, const std::string& log_path) {
  int fds[2];
  if (pipe(fds) != 0) return Fail("mount", "pipe: " + std::string(std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) return Fail("mount", "fork: " + std::string(std::strerror(errno)));
  if (pid > 0) {
    close(fds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, size_t(n));
    close(fds[0]);
    if (msg == "ready") {
      std::printf("tierfs: %s is ready at %s (pid %d)\n", RedactUrl(s.meta_url).c_str(), s.mountpoint.c_str(), pid);
      return 0;
    }
    return Fail("mount", msg.empty() ? "the mount process exited before the mount was ready" : msg);
  }
  close(fds[0]);
  setsid();
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log < 0) log = null;
  dup2(log, 1);
  dup2(log, 2);
  int rc = RunMount(s, fds[1]);
  _exit(rc);
}

int Run(const MountFlags& f) {
  auto s = Settings(f);
  if (!s) return Fail("mount", s.error().message());
  if (Status st = CheckMountpoint(s->mountpoint); !st.ok()) return Fail("mount", st.message());
  // Everything that can be checked before forking is, so the error reaches the terminal.
  if (Status st = PreflightMount(*s); !st.ok()) return Fail("mount", st.message());
  if (!f.background) return RunMount(*s, -1);
  std::string log = f.log_path.empty() ? (geteuid() == 0 ? "/var/log/tierfs.log" : "/tmp/tierfs.log")
                                       : f.log_path;
  return RunInBackground(*s, log);
}

}  // namespace

void AddMount(CLI::App& app, MountFlags& f, int& rc) {
  CLI::App* c = app.add_subcommand("mount", "Mount a volume");
  c->add_option("META-URL", f.meta_url, "metadata engine URL")->required();
  c->add_option("MOUNTPOINT", f.mountpoint, "directory to mount at")->required();
  c->add_flag("-d,--background", f.background, "run in the background");
  c->add_option("--log", f.log_path, "log file in background mode (/var/log/tierfs.log)");
  c->add_option("--cache-dir", f.cache_dir, "local block cache directory (/var/jfsCache)");
  c->add_option("--cache-size", f.cache_size, "cache size limit (MiB unless suffixed)")
      ->capture_default_str();
  c->add_option("--buffer-size", f.buffer_size, "write buffer memory (MiB unless suffixed)")
      ->capture_default_str();
  c->add_option("--attr-cache", f.attr_cache, "attribute cache timeout (s)")->capture_default_str();
  c->add_option("--entry-cache", f.entry_cache, "file entry cache timeout (s)")->capture_default_str();
  c->add_option("--dir-entry-cache", f.dir_entry_cache, "dir entry cache timeout (s)")
      ->capture_default_str();
  c->add_option("--metrics", f.metrics_addr, "Prometheus metrics address")->capture_default_str();
  c->add_option("--heartbeat", f.heartbeat, "session heartbeat (s)")->capture_default_str();
  c->add_option("--max-uploads", f.max_uploads, "concurrent uploads")->capture_default_str();
  c->add_option("--max-downloads", f.max_downloads, "concurrent downloads")->capture_default_str();
  c->add_option("--max-deletes", f.max_deletes, "concurrent object deletions")->capture_default_str();
  c->add_option("--io-retries", f.io_retries, "object request retries")->capture_default_str();
  c->add_option("--upload-limit", f.upload_limit, "upload bandwidth limit in Mbps (the volume's)");
  c->add_option("--download-limit", f.download_limit,
                "download bandwidth limit in Mbps (the volume's)");
  c->add_option("--get-timeout", f.get_timeout, "timeout of one GET attempt (s)")
      ->capture_default_str();
  c->add_option("--put-timeout", f.put_timeout, "timeout of one PUT attempt (s)")
      ->capture_default_str();
  c->add_option("--max-readahead", f.max_readahead,
                "most bytes fetched ahead of a sequential reader (MiB unless suffixed; 0 = --prefetch blocks)")
      ->capture_default_str();
  c->add_option("--prefetch", f.prefetch, "blocks read ahead of a sequential reader")
      ->capture_default_str();
  c->add_flag("--no-bgjob", f.no_bgjob, "do not run background cleanup jobs");
  c->add_flag("--read-only", f.read_only, "mount read-only");
  c->add_flag("--enable-xattr", f.enable_xattr, "accepted for JuiceFS compatibility (always on)");
  c->add_flag("--writeback", f.writeback,
              "stage written blocks on the cache disk and upload them in the background");
  c->add_option("--writeback-max-size", f.writeback_max_size,
                "files larger than this are uploaded directly, not staged (bytes unless suffixed; 0 = "
                "no limit)")
      ->capture_default_str();
  c->add_option("--upload-delay", f.upload_delay, "delay before a staged block is uploaded (s)")
      ->capture_default_str();
  c->add_option("--upload-hours", f.upload_hours, "upload staged blocks only between these hours (START,END)");
  c->add_option("--upload-deadline", f.upload_deadline,
                "when staged blocks wait this long past the delay, new writes upload directly (0 = never)")
      ->capture_default_str();
  c->add_option("--max-stage-write", f.max_stage_write,
                "concurrent stage writes; more are uploaded directly (0 = no limit)")
      ->capture_default_str();
  c->add_flag("--no-stage-fsync", f.no_stage_fsync,
              "do not fsync staged blocks before their commit (faster; a machine crash may lose them)");
  c->add_option("--free-space-ratio", f.free_space_ratio, "minimum free space ratio of the cache disk")
      ->capture_default_str();
  c->add_option("--verify-cache-checksum", f.verify_cache_checksum,
                "checksum checks of cached blocks: none, full, shrink, extend")
      ->capture_default_str();
  c->add_option("--cache-eviction", f.cache_eviction, "cache eviction policy: lru, 2-random, none")
      ->capture_default_str();
  c->add_option("--cache-expire", f.cache_expire, "drop cached blocks not read for this long (s; 0 = never)")
      ->capture_default_str();
  c->add_flag("--cache-partial-only", f.cache_partial_only,
              "cache only blocks smaller than the block size (small files, file ends)");
  c->add_option("-o", f.fuse_options, "FUSE options, comma separated (allow_other, ...)");
  c->callback([&f, &rc] { rc = Run(f); });
}

}  // namespace tierfs::cli
