// The mount root's virtual files (JuiceFS vfs/internal.go): .stats (metrics, 0444), .config
// (the running configuration as JSON, secrets removed, 0400) and .control (0600, not listed:
// commands of `tierfs flush` and `tierfs warmup`, control_file.cc). Content is produced at
// open (a .control reply at each write), so one open sees one consistent snapshot.
#include <fcntl.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "util/url.h"
#include "vfs/inode_state.h"
#include "vfs/vfs.h"

namespace tierfs::vfs {

Result<meta::Attr> Vfs::InternalAttr(meta::Ino ino) const {
  if (ino != kStatsIno && ino != kConfigIno && ino != kControlIno) {
    return Err(ENOENT, "no such internal file");
  }
  meta::Attr a;
  a.type = meta::FileType::kFile;
  a.mode = ino == kStatsIno ? 0444 : ino == kControlIno ? 0600 : 0400;
  a.nlink = 1;
  a.parent = meta::kRootIno;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  a.atime = a.mtime = a.ctime = now;
  a.full = true;
  return a;
}

Result<OpenOut> Vfs::OpenInternal(meta::Ino ino, int flags) {
  if ((flags & O_ACCMODE) != O_RDONLY && ino != kControlIno) {
    return Err(EACCES, "internal files are read-only");
  }
  auto h = std::make_shared<Handle>();
  h->ino = ino;
  h->internal = true;
  if (ino == kControlIno) {
    // Content is the reply to the last command written.
  } else if (ino == kStatsIno) {
    h->content = registry_ ? registry_->StatsText() : std::string();
  } else if (ino == kConfigIno) {
    nlohmann::ordered_json j;
    j["Meta"] = {{"URL", RedactUrl(config_.meta_url)}};
    j["Format"] = nlohmann::ordered_json::parse(config_.format.ToJson(/*remove_secrets=*/true),
                                                nullptr, /*allow_exceptions=*/false);
    // Go's time.Duration marshals as integer nanoseconds: GetTimeout, PutTimeout.
    j["Chunk"] = {{"BlockSize", config_.format.BlockSizeBytes()},
                  {"Compress", config_.format.compression},
                  {"MaxUpload", config_.max_uploads},
                  {"MaxDownload", config_.max_downloads},
                  {"MaxRetries", config_.io_retries},
                  {"UploadLimit", config_.upload_limit},
                  {"DownloadLimit", config_.download_limit},
                  {"GetTimeout", config_.get_timeout_ms * 1'000'000},
                  {"PutTimeout", config_.put_timeout_ms * 1'000'000},
                  {"CacheDir", config_.cache_dir},
                  {"Writeback", config_.writeback},
                  {"UploadDelay", config_.upload_delay_ms * 1'000'000},
                  {"BufferSize", config_.buffer_size}};
    j["AttrTimeout"] = config_.attr_timeout;
    j["EntryTimeout"] = config_.entry_timeout;
    j["DirEntryTimeout"] = config_.dir_entry_timeout;
    j["Mountpoint"] = config_.mountpoint;
    h->content = j.dump(2) + "\n";
  } else {
    return Err(ENOENT, "no such internal file");
  }
  OpenOut out;
  out.direct_io = true;  // size is unknown until open: bypass the page cache
  out.fh = NewHandle(std::move(h));
  return out;
}

}  // namespace tierfs::vfs
