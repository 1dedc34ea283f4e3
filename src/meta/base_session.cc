// BaseMeta: sessions, heartbeat, the gated background jobs (stale sessions, leftover
// jfs_delfile rows, trash expiry), background deletion of freed files, and StatFS.
#include <algorithm>
#include <ctime>

#include "meta/base.h"
#include "util/log.h"

namespace tierfs::meta {
namespace {

int64_t NowSec() { return static_cast<int64_t>(std::time(nullptr)); }

constexpr int64_t kHour = 3600;
// The hourly jobs advance their gate at most once per 0.9 h, as JuiceFS (clock skew between
// clients must not make two of them run the same hour).
constexpr int64_t kHourlyGate = kHour * 9 / 10;
// Rows handled per pass of the delfile job (JuiceFS doFindDeletedFiles limit).
constexpr size_t kDelFileBatch = 600000;

std::string SessionJson(const SessionInfo& info) {
  nlohmann::ordered_json j;
  j["Version"] = info.version.empty() ? std::string(kCompatClientVersion) + "+tierfs" : info.version;
  j["HostName"] = info.host_name;
  j["IPAddrs"] = info.ip_addrs;
  j["MountPoint"] = info.mount_point;
  j["MountTime"] = info.mount_time;
  j["ProcessID"] = info.process_id;
  j["PeerEndpoint"] = info.peer_endpoint;
  return j.dump();
}

// Start of the hour an hourly trash dir ("YYYY-MM-DD-HH", UTC) stands for; -1 if malformed.
int64_t TrashHour(const std::string& name) {
  std::tm tm{};
  const char* end = strptime(name.c_str(), "%Y-%m-%d-%H", &tm);
  if (!end || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

Status BaseMeta::NewSession(const SessionInfo& info, const MetaOptions& options,
                            MetaCallbacks callbacks) {
  if (!loaded_) RETURN_IF_ERROR(Load());
  metrics_.Bind(options.registry);
  inode_ids_.BindMetrics(options.registry);
  slice_ids_.BindMetrics(options.registry);
  engine_->SetHooks(EngineHooks{[this] { metrics_.TxnRestart(); }, callbacks.invalidate_inode,
                                callbacks.invalidate_entry, options.registry});
  engine_->SetDirStats(CurrentFormat().dir_stats);
  OpScope op(metrics_, "NewSession");
  {
    std::lock_guard lk(mu_);
    options_ = options;
    // JuiceFS clamps the heartbeat to 1 s .. 10 min.
    options_.heartbeat_s = std::clamp(options.heartbeat_s, 1, 600);
    callbacks_ = std::move(callbacks);
    stopping_ = false;
    session_json_ = SessionJson(info);
  }
  {
    size_t threads = options.read_only ? 0 : static_cast<size_t>(std::max(options.max_deletes, 0));
    auto d = std::make_shared<Deleter>(threads, [this](Ino ino) { return DeleteFileData(ino); });
    std::lock_guard lk(del_mu_);
    deleter_ = std::move(d);
  }
  if (options.read_only) return Status();
  // nextSession holds the next free id (JuiceFS incrCounter returns the new value, which is
  // the session id; the counter then equals the last id handed out).
  ASSIGN_OR_RETURN(int64_t next, engine_->IncrCounter("nextSession", 1));
  uint64_t sid = static_cast<uint64_t>(next);
  RETURN_IF_ERROR(engine_->DoNewSession(sid, NowSec() + 5 * options_.heartbeat_s, session_json_));
  {
    std::lock_guard lk(mu_);
    sid_ = sid;
  }
  // Rows left by a client that stopped before deleting (or by max_deletes = 0): finish them.
  ASSIGN_OR_RETURN(auto leftover, engine_->ListDelFiles(INT64_MAX, kDelFileBatch));
  for (Ino ino : leftover) QueueDelete(ino);
  UpdateUsageGauges();
  bg_ = std::thread([this] { BackgroundLoop(); });
  return Status();
}

void BaseMeta::BackgroundLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::seconds(options_.heartbeat_s), [&] { return stopping_; });
    if (stopping_) break;
    lk.unlock();
    if (Status st = Heartbeat(); !st.ok()) {
      TIERFS_LOG_WARN("meta heartbeat: {}", st.ToString());
    }
    lk.lock();
  }
}

Status BaseMeta::Heartbeat() {
  uint64_t sid;
  int hb;
  bool jobs;
  std::string json;
  {
    std::lock_guard lk(mu_);
    sid = sid_;
    hb = options_.heartbeat_s;
    jobs = !options_.no_bgjob;
    json = session_json_;
  }
  if (sid != 0) {
    int64_t expire = NowSec() + 5 * hb;
    Status st = engine_->DoRefreshSession(sid, expire);
    if (st.code() == ENOENT) {
      TIERFS_LOG_WARN("session {} was cleaned up as stale by another client; registering it again", sid);
      st = engine_->DoNewSession(sid, expire, json);
    }
    RETURN_IF_ERROR(st);
  }
  ASSIGN_OR_RETURN(auto text, engine_->LoadSetting());
  if (text) {
    ASSIGN_OR_RETURN(Format f, Format::FromJson(*text));
    engine_->SetDirStats(f.dir_stats);
    std::lock_guard g(mu_);
    SetFormatLocked(f);
  }
  UpdateUsageGauges();
  if (!jobs) return Status();
  Status first;
  for (auto job : {&BaseMeta::RunSessionCleanupJob, &BaseMeta::RunDelFileCleanupJob,
                   &BaseMeta::RunTrashCleanupJob}) {
    auto r = (this->*job)();
    if (!r && first.ok()) first = r.error();
  }
  return first;
}

Result<bool> BaseMeta::RunSessionCleanupJob() {
  int hb;
  {
    std::lock_guard lk(mu_);
    hb = options_.heartbeat_s;
  }
  ASSIGN_OR_RETURN(bool won, engine_->SetIfSmall("lastCleanupSessions", NowSec(), hb * 9 / 10));
  if (won) RETURN_IF_ERROR(CleanupStaleSessions());
  return won;
}

Result<bool> BaseMeta::RunDelFileCleanupJob() {
  int64_t now = NowSec();
  ASSIGN_OR_RETURN(bool won, engine_->SetIfSmall("lastCleanupFiles", now, kHourlyGate));
  if (!won) return false;
  // Younger rows belong to clients that are deleting them right now.
  ASSIGN_OR_RETURN(auto inos, engine_->ListDelFiles(now - kHour, kDelFileBatch));
  std::shared_ptr<Deleter> d;
  {
    std::lock_guard lk(del_mu_);
    d = deleter_;
  }
  // Through the deleter when this client has one, so the heartbeat is not held up for hours;
  // else (max_deletes 0) here, as JuiceFS's job does.
  if (d && d->threads() > 0) {
    for (Ino ino : inos) d->Enqueue(ino);
  } else {
    for (Ino ino : inos) RETURN_IF_ERROR(DeleteFileData(ino));
  }
  return true;
}

Result<bool> BaseMeta::RunTrashCleanupJob() {
  Ino trash = kTrashIno;
  if (!engine_->GetAttrs(std::span<const Ino>(&trash, 1)).front()) return false;  // no trash
  int64_t now = NowSec();
  ASSIGN_OR_RETURN(bool won, engine_->SetIfSmall("lastCleanupTrash", now, kHourlyGate));
  if (won) RETURN_IF_ERROR(CleanupTrash(now));
  return won;
}

Status BaseMeta::CleanupStaleSessions() {
  ASSIGN_OR_RETURN(auto stale, engine_->DoStaleSessions(NowSec()));
  for (uint64_t sid : stale) {
    if (sid == sid_) continue;
    ASSIGN_OR_RETURN(auto freed, engine_->DoCleanSession(sid));
    for (Ino ino : freed) QueueDelete(ino);
  }
  return Status();
}

Status BaseMeta::CleanupTrash(int64_t now) {
  OpScope op(metrics_, "CleanupTrash");
  const int64_t days = CurrentFormat().trash_days;
  // The dir of hour H holds entries deleted in [H, H+1h): all of them are older than
  // TrashDays once H + 1h is.
  const int64_t edge = now - (24 * days + 1) * kHour;
  Context root = Context::Root();
  ASSIGN_OR_RETURN(auto hours, engine_->DoReaddir(root, kTrashIno, false));
  for (const Entry& h : hours) {
    int64_t start = TrashHour(h.name);
    if (start < 0 || start >= edge || h.attr.type != FileType::kDirectory) continue;
    RETURN_IF_ERROR(RemoveTree(h.ino));
    RETURN_IF_ERROR(Rmdir(root, kTrashIno, h.name, true));
    std::lock_guard lk(mu_);
    if (trash_hour_ == h.name) trash_hour_.clear();
  }
  // Slices that compactions replaced while the trash was on (JuiceFS cleanupDelayedSlices).
  ASSIGN_OR_RETURN(auto dead, engine_->DoCleanupDelayedSlices(now - days * 24 * kHour));
  return DeleteSlices(dead);
}

Status BaseMeta::RemoveTree(Ino dir) {
  Context root = Context::Root();
  ASSIGN_OR_RETURN(auto children, engine_->DoReaddir(root, dir, false));
  for (const Entry& e : children) {
    if (e.attr.type == FileType::kDirectory) {
      RETURN_IF_ERROR(RemoveTree(e.ino));
      RETURN_IF_ERROR(Rmdir(root, dir, e.name, true));
    } else {
      RETURN_IF_ERROR(Unlink(root, dir, e.name, true));
    }
  }
  return Status();
}

Status BaseMeta::CloseSession() {
  // The file system layer that gave us its kernel callbacks goes away after this: the engine
  // must not call them again (a Redis client closing its connections flushes its cache, which
  // would announce every inode to a freed VFS). SetHooks waits for a hook that is running.
  engine_->SetHooks(EngineHooks{[this] { metrics_.TxnRestart(); }, {}, {}, nullptr});
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  uint64_t sid;
  {
    std::lock_guard lk(mu_);
    sid = sid_;
    sid_ = 0;
    open_.clear();
    sustained_.clear();  // DoCleanSession below releases them all
  }
  Status st = engine_->FlushStats();
  if (!st.ok()) TIERFS_LOG_WARN("closing the session: usage and dir stats not written: {}", st.ToString());
  st = Status();
  if (sid != 0) {
    OpScope op(metrics_, "CloseSession");
    auto freed = engine_->DoCleanSession(sid);
    if (freed) {
      for (Ino ino : *freed) QueueDelete(ino);
    } else {
      st = freed.error();
    }
  }
  Status drained = DrainDeletions();
  std::shared_ptr<Deleter> d;
  {
    std::lock_guard lk(del_mu_);
    d = std::move(deleter_);
  }
  if (d) d->Stop();
  return st.ok() ? drained : st;
}

Result<std::vector<SessionInfo>> BaseMeta::ListSessions() {
  OpScope op(metrics_, "ListSessions");
  std::vector<std::string> infos;
  ASSIGN_OR_RETURN(auto rows, engine_->DoListSessions(&infos));
  std::vector<SessionInfo> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    SessionInfo s;
    s.sid = rows[i].first;
    s.expire = rows[i].second;
    try {
      auto j = nlohmann::json::parse(infos[i]);
      s.version = j.value("Version", "");
      s.host_name = j.value("HostName", "");
      s.ip_addrs = j.value("IPAddrs", std::vector<std::string>{});
      s.mount_point = j.value("MountPoint", "");
      s.mount_time = j.value("MountTime", "");
      s.process_id = j.value("ProcessID", 0u);
      s.peer_endpoint = j.value("PeerEndpoint", "");
    } catch (const std::exception&) {
      // A session whose info is unreadable is still listed, with its id and expiry.
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<StatFs> BaseMeta::StatFS(const Context& ctx, Ino ino) {
  OpScope op(metrics_, "StatFS");
  Format f = CurrentFormat();
  ASSIGN_OR_RETURN(int64_t used, engine_->GetCounter("usedSpace"));
  ASSIGN_OR_RETURN(int64_t inodes, engine_->GetCounter("totalInodes"));
  used = std::max<int64_t>(used, 0);
  inodes = std::max<int64_t>(inodes, 0);
  metrics_.SetUsage(used, inodes);
  StatFs st;
  // Without a quota JuiceFS reports 1 PiB total and 10M free inodes beyond those used.
  st.total_space = f.capacity ? f.capacity : (1ULL << 50);
  st.avail_space = st.total_space > uint64_t(used) ? st.total_space - used : 0;
  st.used_inodes = inodes;
  uint64_t total_inodes = f.inodes ? f.inodes : uint64_t(inodes) + (10ULL << 20);
  st.avail_inodes = total_inodes > uint64_t(inodes) ? total_inodes - inodes : 0;
  return st;
}

void BaseMeta::UpdateUsageGauges() {
  auto used = engine_->GetCounter("usedSpace");
  auto inodes = engine_->GetCounter("totalInodes");
  if (used && inodes) metrics_.SetUsage(std::max<int64_t>(*used, 0), std::max<int64_t>(*inodes, 0));
}

// ---- deletion of freed files ----

void BaseMeta::QueueDelete(Ino ino) {
  std::shared_ptr<Deleter> d;
  {
    std::lock_guard lk(del_mu_);
    d = deleter_;
  }
  // Not queued (no deleter threads, or already pending): the jfs_delfile row stays for the
  // next pass (NewSession, the hourly job, CleanupDeletedFiles).
  if (d) d->Enqueue(ino);
}

Status BaseMeta::DeleteSlices(const std::vector<DeadSlice>& dead) {
  std::function<Status(uint64_t, uint32_t)> del;
  {
    std::lock_guard lk(mu_);
    del = callbacks_.delete_slice;
  }
  for (const auto& d : dead) {
    if (del) RETURN_IF_ERROR(del(d.id, d.size));
  }
  return Status();
}

Status BaseMeta::DeleteFileData(Ino ino) {
  {
    std::unique_lock lk(deleting_mu_);
    deleting_cv_.wait(lk, [&] { return !deleting_.contains(ino); });
    deleting_.insert(ino);
  }
  Status st = DeleteFileChunks(ino);
  {
    std::lock_guard lk(deleting_mu_);
    deleting_.erase(ino);
  }
  deleting_cv_.notify_all();
  return st;
}

Status BaseMeta::DeleteFileChunks(Ino ino) {
  // JuiceFS order: the chunks (and their objects) first, the jfs_delfile row last, so a
  // deletion cut short is found again from the row.
  for (bool more = true; more;) {
    ASSIGN_OR_RETURN(auto dead, engine_->DoDeleteFileChunk(ino, more));
    RETURN_IF_ERROR(DeleteSlices(dead));
  }
  return engine_->DoFinishDelFile(ino);
}

Status BaseMeta::CleanupDeletedFiles() {
  OpScope op(metrics_, "CleanupDeletedFiles");
  ASSIGN_OR_RETURN(auto inos, engine_->ListDelFiles(INT64_MAX, kDelFileBatch));
  for (Ino ino : inos) RETURN_IF_ERROR(DeleteFileData(ino));
  return Status();
}

Status BaseMeta::DrainDeletions() {
  std::shared_ptr<Deleter> d;
  {
    std::lock_guard lk(del_mu_);
    d = deleter_;
  }
  return d ? d->Drain() : Status();
}

}  // namespace tierfs::meta
