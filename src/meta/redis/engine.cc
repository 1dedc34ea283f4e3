// RedisEngine: transactions, the volume (setting, counters, format) and the shared helpers.
#include "meta/redis/engine.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "meta/format.h"
#include "meta/perm.h"
#include "util/log.h"

namespace tierfs::meta::redis {
namespace {

constexpr int kMaxTxnRetries = 50;  // JuiceFS redisMeta.txn
// Directories whose dir-stat fields were missing in the running transaction of this thread:
// computed from their entries once it commits (as JuiceFS doUpdateDirStat -> doSyncDirStat).
thread_local std::vector<Ino> t_missing_dir_stats;
// The usage and dir-stat deltas of the running transaction attempt: handed to the StatBatch
// once it commits, dropped when it runs again.
thread_local StatDeltas t_stat_deltas;
constexpr auto kStatFlushPeriod = std::chrono::seconds(1);  // JuiceFS flushes dir stats each second

Result<int64_t> IntOf(const Reply& r) {
  if (r.IsNil()) return int64_t(0);
  if (r.type == Reply::Type::kInteger) return r.integer;
  auto v = ParseInt(r.str);
  if (!v) return Err(EIO, "redis: not an integer: '" + r.str.substr(0, 40) + "'");
  return *v;
}

}  // namespace

RedisEngine::RedisEngine(std::unique_ptr<net::redis::Client> client, std::string prefix)
    : client_(std::move(client)) {
  keys_.prefix = std::move(prefix);
  client_->OnInvalidate([this](std::span<const std::string> keys, bool all) { OnServerInvalidate(keys, all); });
  tracker_ = std::make_unique<Tracker>(client_.get());
}

namespace {
constexpr size_t kMaxNoted = 1 << 20;  // bound of the names / inodes remembered for the kernel
}  // namespace

void RedisEngine::NoteHanded(Ino ino) {
  std::lock_guard lk(names_mu_);
  if (handed_.size() >= kMaxNoted) handed_.clear();
  handed_.insert(ino);
}

void RedisEngine::TrackWrites(const std::vector<Command>& cmds) {
  if (!client_->CacheEnabled() || !HasKernelHooks()) return;
  std::vector<Tracker::Expectation> want;
  for (const Command& c : cmds) {
    if (c.size() < 3 || c[1].size() <= keys_.prefix.size() + 1) continue;
    std::string_view k = std::string_view(c[1]).substr(keys_.prefix.size());
    auto n = ParseInt(k.substr(1));
    if (!n || *n <= 0) continue;
    Ino ino = Ino(*n);
    if (k[0] == 'i' && c[0] == "SET") {
      NoteHanded(ino);
      want.push_back({{"GET", c[1]}, c[1], c[2], [this, ino] { NotifyInode(ino); }});
    } else if (k[0] == 'd' && (c[0] == "HSET" || c[0] == "HDEL")) {
      std::string name = c[2];
      NoteLookup(ino, name);
      std::optional<std::string> v;
      if (c[0] == "HSET" && c.size() > 3) v = c[3];
      want.push_back({{"HGET", c[1], name}, c[1], v, [this, ino, name] {
                        NotifyEntry(ino, name);
                        NotifyInode(ino);
                      }});
    }
  }
  if (!want.empty()) tracker_->Expect(std::move(want));
}

// client_ is the last member: it goes first, so its threads (which call OnServerInvalidate)
// are gone before the members that uses.
RedisEngine::~RedisEngine() {
  {
    std::lock_guard lk(flusher_mu_);
    flusher_stop_ = true;
  }
  flusher_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (Status st = FlushStats(); !st.ok())
    TIERFS_LOG_WARN("usage and dir stats of the last second not written: {}", st.ToString());
  std::lock_guard lk(stats_->mu);
  stats_->client = nullptr;
}

void RedisEngine::StartFlusher() {
  std::call_once(flusher_once_, [this] { flusher_ = std::thread([this] { FlusherLoop(); }); });
}

void RedisEngine::FlusherLoop() {
  std::unique_lock lk(flusher_mu_);
  while (!flusher_cv_.wait_for(lk, kStatFlushPeriod, [this] { return flusher_stop_; })) {
    lk.unlock();
    if (Status st = FlushStats(); !st.ok())
      TIERFS_LOG_WARN("usage and dir stats not written (again in a second): {}", st.ToString());
    lk.lock();
  }
}

Status RedisEngine::FlushStats() {
  StatDeltas d = stat_batch_.Take();
  if (d.empty()) return Status();
  static const net::redis::Script script(StatBatch::Script());
  const std::vector<std::string> keys = {keys_.Named("usedSpace"), keys_.Named("totalInodes"),
                                         keys_.Named("dirDataLength"), keys_.Named("dirUsedSpace"),
                                         keys_.Named("dirUsedInodes")};
  auto r = client_->Eval(script, keys, StatBatch::Args(d));
  Status st = !r ? MetaError(r.error())
                 : r->IsError() ? Status(EIO, "redis stats script: " + r->str) : Status();
  // Given back on failure: a flush whose outcome is unknown (the connection died after sending)
  // may then count twice; the counters are statistics, repaired by fsck.
  if (!st.ok()) stat_batch_.Add(d);
  client_->Invalidate(std::span<const std::string>(keys));
  return st;
}

std::pair<uint64_t, uint64_t> RedisEngine::DirGen(Ino dir) {
  std::lock_guard lk(names_mu_);
  auto it = dir_gen_.find(dir);
  return {flush_gen_, it == dir_gen_.end() ? 0 : it->second};
}

void RedisEngine::NoteLookup(Ino parent, std::string_view name) {
  std::lock_guard lk(names_mu_);
  if (looked_up_count_ >= kMaxNoted) {
    looked_up_.clear();
    looked_up_count_ = 0;
  }
  if (looked_up_[parent].emplace(name).second) ++looked_up_count_;
}

void RedisEngine::OnServerInvalidate(std::span<const std::string> keys, bool all) {
  // The hooks are held (shared) for the whole call: SetHooks (CloseSession clears them) waits
  // for it, so nothing reaches the file system layer after it has let go of the engine.
  std::shared_lock hk(hooks_mu_);
  const auto& inode = hooks_.invalidate_inode;
  const auto& entry = hooks_.invalidate_entry;
  if (!inode || !entry) return;
  if (all) {
    // The cache was flushed (tracking lost, FLUSHDB): the server no longer announces changes to
    // anything the kernel holds, so the kernel forgets all of it.
    std::unordered_set<Ino> inos;
    std::unordered_map<Ino, std::unordered_set<std::string>> names;
    {
      std::lock_guard lk(names_mu_);
      inos.swap(handed_);
      names.swap(looked_up_);
      looked_up_count_ = 0;
      dir_gen_.clear();
      ++flush_gen_;
    }
    for (Ino ino : inos) inode(ino);
    for (const auto& [dir, set] : names) {
      inode(dir);
      for (const auto& name : set) entry(dir, name);
    }
    return;
  }
  for (const std::string& full : keys) {
    if (full.size() <= keys_.prefix.size() + 1 || full.compare(0, keys_.prefix.size(), keys_.prefix) != 0) continue;
    std::string_view k = std::string_view(full).substr(keys_.prefix.size());
    char kind = k[0];
    if (kind != 'i' && kind != 'd' && kind != 's') continue;
    auto n = ParseInt(k.substr(1));
    if (!n || *n <= 0) continue;
    Ino ino = Ino(*n);
    inode(ino);
    if (kind != 'd') continue;
    std::unordered_set<std::string> names;
    {
      std::lock_guard lk(names_mu_);
      if (dir_gen_.size() >= kMaxNoted) {
        dir_gen_.clear();
        ++flush_gen_;
      }
      ++dir_gen_[ino];
      auto it = looked_up_.find(ino);
      if (it == looked_up_.end()) continue;
      names.swap(it->second);
      looked_up_count_ -= names.size();
      looked_up_.erase(it);
    }
    for (const auto& name : names) entry(ino, name);
  }
}


Result<Reply> RedisEngine::Do(Command cmd) {
  std::string name = cmd.empty() ? "" : cmd[0];
  auto res = client_->Do(std::move(cmd));
  if (!res) return Err(MetaError(res.error()));
  Reply r = std::move(*res);
  if (r.IsError()) return Err(EIO, "redis " + name + ": " + r.str);
  return r;
}

Result<std::vector<Reply>> RedisEngine::DoAll(std::vector<Command> cmds) {
  std::vector<std::string> names;
  names.reserve(cmds.size());
  for (const auto& c : cmds) names.push_back(c.empty() ? "" : c[0]);
  auto rs = client_->DoAll(std::move(cmds));
  std::vector<Reply> out;
  out.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    if (!rs[i]) return Err(MetaError(rs[i].error()));
    if (rs[i]->IsError()) return Err(EIO, "redis " + names[i] + ": " + rs[i]->str);
    out.push_back(std::move(*rs[i]));
  }
  return out;
}

Result<Reply> RedisEngine::Cached(Command read, const std::string& key) {
  std::string name = read.empty() ? "" : read[0];
  auto res = client_->DoCached(read, key);
  if (!res) return Err(MetaError(res.error()));
  Reply r = std::move(*res);
  if (r.IsError()) return Err(EIO, "redis " + name + ": " + r.str);
  return r;
}

Status RedisEngine::Txn(const std::string& lock_key, const std::function<Status(Tx&)>& fn,
                        const std::function<void(const std::vector<Reply>&)>& after) {
  thread_local std::minstd_rand rng(std::random_device{}());
  std::unique_lock stripe(stripes_[std::hash<std::string>{}(lock_key) % stripes_.size()]);
  // A transaction run from inside another one's body keeps the outer one's deltas apart.
  struct Outer {
    StatDeltas saved = std::exchange(t_stat_deltas, {});
    ~Outer() { t_stat_deltas = std::move(saved); }
  } outer;
  for (int attempt = 0;; ++attempt) {
    bool conflict = false;
    t_missing_dir_stats.clear();
    t_stat_deltas = {};
    Status st = TxnOnce(fn, after, conflict);
    if (!conflict && st.ok() && !t_stat_deltas.empty()) {
      stat_batch_.Add(t_stat_deltas);
      StartFlusher();
    }
    if (!conflict) {
      std::vector<Ino> dirs;
      dirs.swap(t_missing_dir_stats);
      stripe.unlock();
      if (st.ok()) {
        std::sort(dirs.begin(), dirs.end());
        dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
        for (Ino d : dirs) {
          if (Status s = SyncDirStat(d); !s.ok()) TIERFS_LOG_WARN("dir stats of inode {}: {}", d, s.ToString());
        }
      }
      return st;
    }
    if (attempt >= kMaxTxnRetries) {
      return Status(EIO, "redis: transaction on " + lock_key + " kept conflicting with other clients");
    }
    std::function<void()> restart;
    {
      std::shared_lock lk(hooks_mu_);
      restart = hooks_.txn_restart;
    }
    if (restart) restart();
    // JuiceFS: a random pause of up to (attempt+1)^2 ms before the next try.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % ((attempt + 1) * (attempt + 1) * 1000) + 1));
  }
}

Status RedisEngine::TxnOnce(const std::function<Status(Tx&)>& fn,
                            const std::function<void(const std::vector<Reply>&)>& after,
                            bool& conflict) {
  auto leased = client_->Lease();
  if (!leased) return MetaError(leased.error());
  auto& lease = *leased;
  Tx tx(*lease, keys_);
  Status st = fn(tx);
  std::vector<Command> writes = tx.TakeWrites();
  if (lease->redirected()) {  // Redis Cluster moved the slot: nothing ran; again, elsewhere
    conflict = true;
    return Status();
  }
  if (!st.ok() || writes.empty()) {
    (void)lease->Do({"UNWATCH"});
    if (st.ok() && after) after({});
    return st;
  }
  std::vector<Command> cmds;
  cmds.reserve(writes.size() + 2);
  cmds.push_back({"MULTI"});
  for (auto& w : writes) cmds.push_back(std::move(w));
  cmds.push_back({"EXEC"});
  const std::vector<Command>& writes_sent = cmds;
  // Our own writes leave the client cache before they can be observed (and any read of these
  // keys still in flight is poisoned, so it cannot store the value it read before the EXEC).
  std::vector<std::string> touched(tx.touched().begin(), tx.touched().end());
  client_->Invalidate(touched);
  auto replies = lease->Pipeline(cmds);
  client_->Invalidate(touched);
  if (!replies && lease->redirected()) {  // MOVED: the EXEC was refused, nothing ran
    conflict = true;
    return Status();
  }
  if (!replies) {
    // The EXEC may or may not have run: never replayed (the caller sees EIO).
    return Status(EIO, "redis: transaction outcome unknown: " + MetaError(replies.error()).message());
  }
  const Reply& exec = replies->back();
  if (exec.IsNil()) {
    conflict = true;
    return Status();
  }
  for (size_t i = 1; i + 1 < replies->size(); ++i) {
    if ((*replies)[i].IsError()) return Status(EIO, "redis " + cmds[i][0] + ": " + (*replies)[i].str);
  }
  if (exec.IsError()) return Status(EIO, "redis EXEC: " + exec.str);
  for (const Reply& r : exec.elems) {
    if (r.IsError()) return Status(EIO, "redis: a command of the transaction failed: " + r.str);
  }
  TrackWrites(writes_sent);
  if (after) after(exec.elems);
  return Status();
}

void RedisEngine::SetHooks(EngineHooks hooks) {
  metrics::Registry* reg = hooks.registry;
  {
    std::lock_guard lk(hooks_mu_);
    hooks_ = std::move(hooks);
  }
  if (reg) BindMetrics(reg);
}

bool RedisEngine::HasKernelHooks() {
  std::shared_lock lk(hooks_mu_);
  return hooks_.invalidate_inode && hooks_.invalidate_entry;
}

void RedisEngine::NotifyInode(Ino ino) {
  std::shared_lock lk(hooks_mu_);
  if (hooks_.invalidate_inode) hooks_.invalidate_inode(ino);
}

void RedisEngine::NotifyEntry(Ino parent, const std::string& name) {
  std::shared_lock lk(hooks_mu_);
  if (hooks_.invalidate_entry) hooks_.invalidate_entry(parent, name);
}

void RedisEngine::BindMetrics(metrics::Registry* reg) {
  std::lock_guard lk(stats_->mu);
  if (stats_->bound) return;
  stats_->bound = true;
  stats_->client = client_.get();
  struct Row {
    const char* name;
    const char* help;
    uint64_t net::redis::ClientStats::*field;
  };
  static const Row rows[] = {
      {"tierfs_redis_commands", "commands sent to Redis by the pipelined connections", &net::redis::ClientStats::commands},
      {"tierfs_redis_writes", "write(2) calls of the pipelined connections (commands per write = pipelining)", &net::redis::ClientStats::writes},
      {"tierfs_redis_reconnects", "reconnections to Redis", &net::redis::ClientStats::reconnects},
      {"tierfs_redis_direct_writes", "requests written by the caller's own thread (nothing else queued)", &net::redis::ClientStats::direct_batches},
      {"tierfs_redis_cache_hits", "reads answered by the client-side cache", &net::redis::ClientStats::cache_hits},
      {"tierfs_redis_cache_misses", "cacheable reads sent to the server", &net::redis::ClientStats::cache_misses},
      {"tierfs_redis_cache_invalidations", "keys invalidated in the client-side cache", &net::redis::ClientStats::cache_invalidations},
      {"tierfs_redis_cache_flushes", "whole client-side cache flushes (tracking lost, FLUSHDB)", &net::redis::ClientStats::cache_flushes},
      {"tierfs_redis_cache_bytes", "bytes held by the client-side cache", &net::redis::ClientStats::cache_bytes},
      {"tierfs_redis_cache_entries", "entries held by the client-side cache", &net::redis::ClientStats::cache_entries},
  };
  std::vector<std::pair<metrics::Gauge*, uint64_t net::redis::ClientStats::*>> gauges;
  for (const Row& r : rows) gauges.emplace_back(reg->GetGauge(r.name, r.help), r.field);
  // The registry may outlive this engine: the hook reads through stats_, which the destructor
  // disconnects.
  reg->AddCollectHook([s = stats_, gauges] {
    std::lock_guard lk(s->mu);
    if (!s->client) return;
    net::redis::ClientStats st = s->client->Stats();
    for (auto& [g, field] : gauges) g->Set(int64_t(st.*field));
  });
}

Status RedisEngine::CheckServer() {
  auto policy = client_->Do({"CONFIG", "GET", "maxmemory-policy"});
  if (!policy) return Status(policy.error().code(), "redis: " + policy.error().message());
  if (policy->IsError()) {
    if (policy->ErrorIs("NOAUTH") || policy->ErrorIs("WRONGPASS")) return Status(EACCES, "redis: " + policy->str);
    return Status();  // CONFIG may be disabled on managed servers
  }
  std::string value;
  const auto& e = policy->elems;
  if (policy->type == Reply::Type::kMap || e.size() >= 2) value = e.size() >= 2 ? e[1].str : "";
  if (!value.empty() && value != "noeviction") {
    auto set = client_->Do({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
    if (set && !set->IsError()) {
      TIERFS_LOG_WARN("redis maxmemory-policy was '{}': set to 'noeviction' (an evicting server loses metadata)", value);
    } else {
      TIERFS_LOG_WARN("redis maxmemory-policy is '{}', not 'noeviction': the server may evict metadata", value);
    }
  }
  return Status();
}

Status RedisEngine::CheckFormattable(bool force) {
  if (force || !keys_.prefix.empty()) return Status();
  ASSIGN_OR_RETURN(Reply n, Do({"DBSIZE"}));
  if (n.integer > 0) {
    return Status(EEXIST, "the Redis database holds " + std::to_string(n.integer) +
                              " keys but no JuiceFS volume (use another DB, or --force)");
  }
  return Status();
}

Result<std::optional<std::string>> RedisEngine::LoadSetting() {
  ASSIGN_OR_RETURN(Reply r, Do({"GET", keys_.Named("setting")}));
  if (r.IsNil()) return std::optional<std::string>();
  return std::optional<std::string>(r.str);
}

Status RedisEngine::DoInit(const std::string& setting_json, const Attr& root,
                           std::optional<Attr> trash, bool force) {
  return Txn(keys_.Named("setting"), [&](Tx& tx) -> Status {
    std::string setting = keys_.Named("setting");
    ASSIGN_OR_RETURN(Reply cur, tx.Read(setting, {"GET", setting}));
    if (!cur.IsNil() && !force) return Status(EEXIST, "volume already formatted");
    if (cur.IsNil() && keys_.prefix.empty()) {
      // A DB holding other data is not silently taken over (JuiceFS refuses it too).
      ASSIGN_OR_RETURN(Reply n, tx.Read("", {"DBSIZE"}));
      if (n.integer > 0 && !force) {
        return Status(EEXIST, "the Redis database holds " + std::to_string(n.integer) +
                                  " keys but no JuiceFS volume (use another DB, or --force)");
      }
    }
    tx.Queue({"SET", setting, setting_json});
    ASSIGN_OR_RETURN(auto r, tx.GetAttr(kRootIno));
    if (!r) {
      tx.Queue({"SET", keys_.Inode(kRootIno), EncodeAttr(root)});
      // The new root's (zero) dir stats, as Mknod gives every new directory: HINCRBY of the
      // non-zero deltas alone would leave dirDataLength without the root's field while it
      // holds only directories and empty files, which juicefs fsck reports as missing.
      auto f = Format::FromJson(setting_json);
      if (f && f->dir_stats) {
        for (const char* h : {"dirDataLength", "dirUsedSpace", "dirUsedInodes"}) {
          tx.Queue({"HSETNX", keys_.Named(h), std::to_string(kRootIno), "0"});
        }
      }
    }
    if (trash) {
      ASSIGN_OR_RETURN(auto t, tx.GetAttr(kTrashIno));
      if (!t) tx.Queue({"SET", keys_.Inode(kTrashIno), EncodeAttr(*trash)});
    }
    return Status();
  });
}

Result<int64_t> RedisEngine::IncrCounter(std::string_view name, int64_t delta) {
  std::string key = keys_.Counter(name);
  ASSIGN_OR_RETURN(Reply r, Do({"INCRBY", key, std::to_string(delta)}));
  client_->Invalidate(std::span<const std::string>(&key, 1));
  ASSIGN_OR_RETURN(int64_t v, IntOf(r));
  // nextinode / nextchunk hold the last id used (JuiceFS redisMeta.incrCounter).
  if (name == "nextInode" || name == "nextChunk") return v + 1;
  return v;
}

Result<int64_t> RedisEngine::GetCounter(std::string_view name) {
  ASSIGN_OR_RETURN(Reply r, Do({"GET", keys_.Counter(name)}));
  ASSIGN_OR_RETURN(int64_t v, IntOf(r));
  // What this client changed and has not written yet (stat_batch.h).
  if (name == "usedSpace") return v + stat_batch_.PendingSpace();
  if (name == "totalInodes") return v + stat_batch_.PendingInodes();
  // Absent = 0 ids used: the next is 1 (JuiceFS DumpMeta prints cs + 1 the same way).
  if (name == "nextInode" || name == "nextChunk") return v + 1;
  return v;
}

Result<bool> RedisEngine::SetIfSmall(std::string_view name, int64_t value, int64_t diff) {
  bool changed = false;
  std::string key = keys_.Named(name);
  Status st = Txn(key, [&](Tx& tx) -> Status {
    changed = false;
    ASSIGN_OR_RETURN(Reply r, tx.Read(key, {"GET", key}));
    ASSIGN_OR_RETURN(int64_t old, IntOf(r));
    if (old > value - diff) return Status();
    changed = true;
    tx.Queue({"SET", key, std::to_string(value)});
    return Status();
  });
  if (!st.ok()) return Err(st);
  return changed;
}

Result<bool> RedisEngine::HasDirQuotas() {
  ASSIGN_OR_RETURN(Reply r, Do({"HLEN", keys_.Named("dirQuota")}));
  return r.integer > 0;
}

void RedisEngine::AddUsage(Tx&, int64_t space, int64_t inodes) {
  t_stat_deltas.space += space;  // written by FlushStats once the transaction committed
  t_stat_deltas.inodes += inodes;
}

bool RedisEngine::HasDirStat(Tx& tx, Ino dir) {
  {
    std::lock_guard lk(names_mu_);
    if (known_stats_.count(dir)) return true;
  }
  // Not watched: a missing field is recomputed after the commit, whoever else touches it.
  auto r = tx.Read("", {"HEXISTS", keys_.Named("dirUsedSpace"), std::to_string(dir)});
  if (r && r->integer == 0) return false;
  std::lock_guard lk(names_mu_);
  if (known_stats_.size() >= kMaxNoted) known_stats_.clear();
  known_stats_.insert(dir);
  return true;
}

Status RedisEngine::SyncDirStat(Ino dir) {
  ASSIGN_OR_RETURN(Reply entries, Do({"HGETALL", keys_.Entries(dir)}));
  std::vector<Ino> files;
  int64_t inodes = 0;
  for (size_t i = 0; i + 1 < entries.elems.size(); i += 2) {
    auto e = DecodeEntry(entries.elems[i + 1].str);
    if (!e) continue;
    ++inodes;
    if (e->first == FileType::kFile) files.push_back(e->second);
  }
  int64_t length = 0, space = (inodes - int64_t(files.size())) * Align4K(0);
  auto attrs = GetAttrs(files);
  for (auto& a : attrs) {
    uint64_t len = a ? a->length : 0;
    length += int64_t(len);
    space += Align4K(len);
  }
  std::string f = std::to_string(dir);
  return Txn(keys_.Named("dirUsedSpace"), [&](Tx& tx) -> Status {
    tx.Queue({"HSET", keys_.Named("dirDataLength"), f, std::to_string(length)});
    tx.Queue({"HSET", keys_.Named("dirUsedSpace"), f, std::to_string(space)});
    tx.Queue({"HSET", keys_.Named("dirUsedInodes"), f, std::to_string(inodes)});
    return Status();
  });
}

void RedisEngine::AddDirStat(Tx& tx, Ino dir, int64_t length, int64_t space, int64_t inodes) {
  if (!dir_stats() || dir == 0 || IsTrash(dir)) return;
  if (!HasDirStat(tx, dir)) {
    t_missing_dir_stats.push_back(dir);
    return;
  }
  StatDeltas::Dir& d = t_stat_deltas.dirs[dir];  // written by FlushStats after the commit
  d.length += length;
  d.space += space;
  d.inodes += inodes;
}

Status RedisEngine::AddParentsStat(Tx& tx, Ino ino, const Attr& a, int64_t length, int64_t space) {
  if (!dir_stats() || (!length && !space) || a.nlink == 0) return Status();
  if (a.parent != 0) {
    AddDirStat(tx, a.parent, length, space, 0);
    return Status();
  }
  std::string pk = keys_.Parents(ino);
  ASSIGN_OR_RETURN(Reply r, tx.Read(pk, {"HGETALL", pk}));
  for (size_t i = 0; i + 1 < r.elems.size(); i += 2) {
    auto p = ParseInt(r.elems[i].str);
    auto n = ParseInt(r.elems[i + 1].str);
    if (p && n && *n > 0) AddDirStat(tx, Ino(*p), length * *n, space * *n, 0);
  }
  return Status();
}

void RedisEngine::NoteDelFile(Ino ino, uint64_t length) {
  std::lock_guard lk(del_mu_);
  if (del_members_.size() >= kMaxNoted) del_members_.clear();
  del_members_[ino] = DelFileMember(ino, length);
}

std::optional<std::string> RedisEngine::KnownDelFile(Ino ino) {
  std::lock_guard lk(del_mu_);
  auto it = del_members_.find(ino);
  if (it == del_members_.end()) return std::nullopt;
  return it->second;
}

void RedisEngine::ForgetDelFile(Ino ino) {
  std::lock_guard lk(del_mu_);
  del_members_.erase(ino);
}

Status RedisEngine::RetireInode(Tx& tx, Ino ino, const Attr& a, uint64_t sid, bool open,
                                Removed& out) {
  out.ino = ino;
  out.attr = a;
  tx.DropNode(ino);
  tx.Queue({"DEL", keys_.Xattrs(ino)});
  if (a.parent == 0) tx.Queue({"DEL", keys_.Parents(ino)});
  if (a.type != FileType::kFile) {
    if (a.type == FileType::kSymlink) tx.Queue({"DEL", keys_.Symlink(ino)});
    tx.Queue({"DEL", keys_.Inode(ino)});
    AddUsage(tx, -Align4K(0), -1);
    return Status();
  }
  if (open) {
    // Still charged while open (JuiceFS doUnlink): the last close or the session cleanup
    // subtracts it (doDeleteSustainedInode).
    out.sustained = true;
    tx.Queue({"SET", keys_.Inode(ino), EncodeAttr(a)});
    tx.Queue({"SADD", keys_.Sustained(sid), std::to_string(ino)});
    return Status();
  }
  const int64_t s = tierfs::Now().sec;
  out.freed = true;
  tx.Queue({"ZADD", keys_.Named("delfiles"), std::to_string(s), DelFileMember(ino, a.length)});
  tx.Queue({"DEL", keys_.Inode(ino)});
  AddUsage(tx, -Align4K(a.length), -1);
  return Status();
}

}  // namespace tierfs::meta::redis
