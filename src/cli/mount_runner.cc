#include "cli/mount_runner.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include <spdlog/spdlog.h>

#include "chunk/chunk_store.h"
#include "cli/volume_store.h"
#include "fuse/fuse_server.h"
#include "meta/meta.h"
#include "metrics/http_server.h"
#include "metrics/process.h"
#include "metrics/registry.h"
#include "util/units.h"
#include "util/url.h"
#include "vfs/vfs.h"

namespace tierfs::cli {
namespace {

struct Volume {
  std::unique_ptr<meta::Meta> meta;
  meta::Format format;
  TransferOptions transfer;
  std::unique_ptr<object::ObjectStore> store;  // the volume store, without transfer wrappers
};

// The mount's object-request settings: its flags, and for a bandwidth flag that is absent the
// volume's UploadLimit / DownloadLimit (JuiceFS cmd/mount.go does the same).
TransferOptions Transfer(const MountSettings& s, const meta::Format& f) {
  TransferOptions t;
  t.get_timeout_ms = s.get_timeout_ms;
  t.put_timeout_ms = s.put_timeout_ms;
  t.limits.max_uploads = s.max_uploads;
  t.limits.max_downloads = s.max_downloads;
  t.limits.upload_bytes_per_sec = MbpsToBytesPerSec(s.upload_limit_mbps.value_or(f.upload_limit));
  t.limits.download_bytes_per_sec =
      MbpsToBytesPerSec(s.download_limit_mbps.value_or(f.download_limit));
  t.retry.max_tries = s.io_retries + 1;
  return t;
}

Result<Volume> OpenVolume(const MountSettings& s) {
  Volume v;
  ASSIGN_OR_RETURN(v.meta, meta::OpenMeta(s.meta_url, /*must_exist=*/true));
  auto f = v.meta->Load();
  if (!f) {
    if (f.error().code() == ENOENT)
      return Err(ENOENT, "database " + RedactUrl(s.meta_url) + " holds no volume; run `tierfs format` first");
    return Err(f.error());
  }
  v.format = *f;
  RETURN_IF_ERROR(v.format.CheckVersion());
  RETURN_IF_ERROR(v.meta->CheckSupported());
  v.transfer = Transfer(s, v.format);
  ASSIGN_OR_RETURN(v.store, OpenVolumeStore(v.format, v.transfer));
  return v;
}

std::vector<std::string> LocalAddresses() {
  std::vector<std::string> out;
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return out;
  for (ifaddrs* i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    char host[NI_MAXHOST];
    socklen_t len = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (getnameinfo(i->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0) {
      std::string h = host;
      if (h != "127.0.0.1" && h != "::1") out.push_back(h.substr(0, h.find('%')));
    }
  }
  freeifaddrs(ifs);
  return out;
}

meta::SessionInfo MakeSession(const MountSettings& s) {
  meta::SessionInfo info;
  info.version = "tierfs-0.1.0";
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  info.host_name = host;
  info.ip_addrs = LocalAddresses();
  info.mount_point = s.mountpoint;
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  info.mount_time = buf;
  info.process_id = uint32_t(getpid());
  return info;
}

void Report(int fd, const std::string& msg) {
  if (fd < 0) return;
  (void)!write(fd, msg.data(), msg.size());
  close(fd);
}

}  // namespace

Status PreflightMount(const MountSettings& s) {
  auto v = OpenVolume(s);
  return v ? Status::Ok() : v.error();
}

int RunMount(const MountSettings& s, int ready_fd) {
  auto v = OpenVolume(s);
  if (!v) {
    Report(ready_fd, v.error().message());
    std::fprintf(stderr, "tierfs mount: %s\n", v.error().message().c_str());
    return 1;
  }
  metrics::Registry registry({{"vol_name", v->format.name}, {"mp", s.mountpoint}});
  metrics::RegisterProcessMetrics(registry);
  // Declared after the registry, which its metrics point into.
  std::unique_ptr<object::ObjectStore> store =
      WithTransferWrappers(std::move(v->store), v->transfer, &registry);

  chunk::ChunkConfig cc;
  cc.block_size = uint32_t(v->format.BlockSizeBytes());
  cc.compression = v->format.compression;
  cc.hash_prefix = v->format.hash_prefix;
  cc.buffer_size = s.buffer_size;
  cc.max_uploads = s.max_uploads;
  cc.max_deletes = s.max_deletes;
  cc.cache_dir = s.cache_dir;
  cc.cache_size = s.cache_size;
  cc.volume_uuid = v->format.uuid;
  cc.prefetch = s.prefetch;
  cc.ranged_reads = v->format.encrypt_key.empty();
  cc.writeback = s.writeback;
  cc.upload_delay = std::chrono::milliseconds(s.upload_delay_ms);
  cc.upload_deadline = std::chrono::milliseconds(s.upload_deadline_ms);
  cc.upload_start_hour = s.upload_start_hour;
  cc.upload_end_hour = s.upload_end_hour;
  cc.stage_fsync = s.stage_fsync;
  cc.max_stage_write = s.max_stage_write;
  cc.free_space_ratio = s.free_space_ratio;
  cc.cache_checksum = s.cache_checksum;
  cc.cache_eviction = s.cache_eviction;
  cc.cache_expire = std::chrono::seconds(s.cache_expire_s);
  cc.cache_partial_only = s.cache_partial_only;
  cc.max_readahead = s.max_readahead;
  auto chunks = chunk::NewChunkStore(store.get(), cc, &registry);
  if (s.writeback && !chunks->WritesBack()) {
    Report(ready_fd, "--writeback: the staging directory cannot be used");
    return 1;
  }

  vfs::VfsConfig vc;
  vc.attr_timeout = s.attr_timeout;
  vc.entry_timeout = s.entry_timeout;
  vc.dir_entry_timeout = s.dir_entry_timeout;
  vc.mountpoint = s.mountpoint;
  vc.meta_url = s.meta_url;
  vc.format = v->format;
  vc.cache_dir = s.cache_dir;
  vc.buffer_size = s.buffer_size;
  vc.max_uploads = v->transfer.limits.max_uploads;
  vc.max_downloads = v->transfer.limits.max_downloads;
  vc.io_retries = s.io_retries;
  vc.upload_limit = v->transfer.limits.upload_bytes_per_sec;
  vc.download_limit = v->transfer.limits.download_bytes_per_sec;
  vc.get_timeout_ms = v->transfer.get_timeout_ms;
  vc.put_timeout_ms = v->transfer.put_timeout_ms;
  vc.writeback = chunks->WritesBack();
  vc.writeback_max_size = s.writeback_max_size;
  vc.upload_delay_ms = s.upload_delay_ms;
  vfs::Vfs fs(v->meta.get(), chunks.get(), &registry, vc);

  meta::MetaOptions mo;
  mo.read_only = s.read_only;
  mo.no_bgjob = s.no_bgjob;
  mo.heartbeat_s = s.heartbeat_s;
  mo.max_deletes = s.max_deletes;
  mo.registry = &registry;
  if (Status st = v->meta->NewSession(MakeSession(s), mo, fs.Callbacks()); !st.ok()) {
    Report(ready_fd, "cannot register the session: " + st.message());
    return 1;
  }

  metrics::HttpServer http(registry, {s.metrics_addr, metrics::HttpServer::Fallback::kNextPorts});
  if (!s.metrics_addr.empty()) {
    if (Status st = http.Start(); !st.ok()) spdlog::warn("metrics endpoint: {}", st.ToString());
  }

  fuse::FuseOptions fo;
  fo.mountpoint = s.mountpoint;
  fo.fsname = "TierFS:" + v->format.name;
  fo.options = s.fuse_options;
  if (s.read_only) fo.options.push_back("ro");
  // A root mount serves every user, as JuiceFS's does (permissions are checked per request).
  if (geteuid() == 0) fo.options.push_back("allow_other");
  fo.registry = &registry;
  spdlog::info("mounting volume {} at {}", v->format.name, s.mountpoint);
  Status st = fuse::RunFuse(&fs, fo, [&] {
    Report(ready_fd, "ready");
    ready_fd = -1;
  });
  if (!st.ok()) Report(ready_fd, st.message());
  fs.Shutdown();
  http.Stop();
  Status cs = v->meta->CloseSession();
  if (!cs.ok()) spdlog::warn("close session: {}", cs.ToString());
  spdlog::info("unmounted {}", s.mountpoint);
  return st.ok() ? 0 : 1;
}

}  // namespace tierfs::cli
