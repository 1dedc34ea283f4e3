// ClientImpl: the pipes, the dedicated pool, retries of idempotent reads, EVALSHA.
#include <strings.h>

#include <atomic>
#include <optional>
#include <unordered_set>

#include "net/redis/cache.h"
#include "net/redis/cluster.h"
#include "net/redis/client.h"
#include "net/redis/dedicated.h"
#include "net/redis/pipe.h"
#include "net/redis/resp.h"
#include "net/redis/sentinel.h"
#include "util/log.h"

namespace tierfs::net::redis {

namespace {

struct CaseLess {
  size_t operator()(const std::string& s) const {
    size_t h = 0;
    for (char c : s) h = h * 31 + size_t(c | 0x20);
    return h;
  }
  bool operator()(const std::string& a, const std::string& b) const {
    return strcasecmp(a.c_str(), b.c_str()) == 0;
  }
};

// Reads whose replay after a connection loss cannot change anything.
bool IsRetryable(const Command& cmd) {
  static const std::unordered_set<std::string, CaseLess, CaseLess> reads = {
      "GET",      "MGET",      "HGET",   "HMGET",         "HGETALL", "HSCAN",  "SCAN",
      "SSCAN",    "ZSCAN",     "LRANGE", "LLEN",          "LINDEX",  "SMEMBERS",
      "SISMEMBER", "SCARD",    "ZRANGE", "ZRANGEBYSCORE", "ZSCORE",  "ZCARD",  "EXISTS",
      "TYPE",     "PTTL",      "TTL",    "STRLEN",        "HLEN",    "HEXISTS", "HKEYS",
      "HVALS",    "GETRANGE",  "INFO",   "PING",          "ECHO",    "DBSIZE", "TIME"};
  return !cmd.empty() && reads.contains(cmd[0]);
}

// The first key of a command, as far as routing needs to know: argv[1], or the first key of
// EVAL/EVALSHA/FCALL; null for keyless commands.
const std::string* FirstKey(const Command& cmd) {
  static const std::unordered_set<std::string, CaseLess, CaseLess> keyless = {
      "PING", "INFO", "SCRIPT", "MULTI", "EXEC", "DISCARD", "DBSIZE", "TIME", "ECHO", "SELECT",
      "CLIENT", "CONFIG", "FLUSHDB", "FLUSHALL", "DEBUG", "SCAN", "HELLO", "AUTH", "COMMAND"};
  if (cmd.size() < 2 || keyless.contains(cmd[0])) return nullptr;
  if (strcasecmp(cmd[0].c_str(), "EVALSHA") == 0 || strcasecmp(cmd[0].c_str(), "EVAL") == 0 ||
      strcasecmp(cmd[0].c_str(), "FCALL") == 0)
    return cmd.size() > 3 && cmd[2] != "0" ? &cmd[3] : nullptr;
  return &cmd[1];
}

std::unique_ptr<Request> MakeRequest(std::span<const Command> cmds,
                                     std::function<void(Result<std::vector<Reply>>)> done) {
  auto r = std::make_unique<Request>();
  for (const Command& c : cmds) EncodeCommand(c, &r->wire);
  r->n = cmds.size();
  r->done = std::move(done);
  return r;
}

// The completion of a one-command request: its only reply, or the error.
std::function<void(Result<std::vector<Reply>>)> SetOne(
    std::shared_ptr<Future<Result<Reply>>::State> st) {
  return [st = std::move(st)](Result<std::vector<Reply>> r) {
    if (r) st->Set(std::move(r->front())); else st->Set(Err(r.error()));
  };
}

class ClientImpl : public Client, public PipeEvents {
 public:
  explicit ClientImpl(const Options& opt) : opt_(opt) {}
  ~ClientImpl() override { pipes_.clear(); }  // joins the threads before members go

  Status Start() {
    Resolver resolve = MakeResolver(opt_);
    size_t n = size_t(std::max(1, opt_.pipelines));
    for (size_t i = 0; i < n; i++)  // before the pipes: their pushes land here
      caches_.push_back(std::make_unique<ClientCache>(
          opt_.cache_bytes / n, std::chrono::milliseconds(opt_.cache_ttl_ms), &cache_counters_));
    for (size_t i = 0; i < n; i++) {
      pipes_.push_back(std::make_unique<Pipe>(i, opt_, resolve, opt_.client_cache,
                                              &counters_, this));
      RETURN_IF_ERROR(pipes_.back()->Start());
    }
    pool_ = std::make_shared<DedicatedPool>(opt_, resolve);
    cache_on_ = opt_.client_cache;
    for (auto& p : pipes_) cache_on_ = cache_on_ && p->tracking();
    if (opt_.client_cache && !cache_on_)
      TIERFS_LOG_WARN("redis: no client-side cache (the server cannot track keys over RESP3)");
    return Status();
  }

  Future<Result<Reply>> Send(Command cmd) override { return SendOn(Pick(cmd), cmd); }

  Future<Result<std::vector<Reply>>> SendGroup(std::vector<Command> group) override {
    using F = Future<Result<std::vector<Reply>>>;
    if (group.empty()) return F::Completed(std::vector<Reply>());
    auto st = std::make_shared<F::State>();
    std::vector<std::unique_ptr<Request>> reqs;
    reqs.push_back(MakeRequest(group, [st](Result<std::vector<Reply>> r) { st->Set(std::move(r)); }));
    Pick(group.size() > 1 ? group[1] : group[0]).Submit(std::move(reqs));
    return F(st);
  }

  Result<Reply> Do(Command cmd) override {
    bool retry = IsRetryable(cmd);
    for (int attempt = 0;; attempt++) {
      Pipe& p = Pick(cmd);
      Result<Reply> r = SendOn(p, cmd).Take();
      if (r || attempt >= opt_.max_retries) return r;
      // EAGAIN: the cluster redirected the command (MOVED), which therefore did not run.
      if (r.error().code() != EAGAIN && (!retry || r.error().code() != EIO)) return r;
      p.WaitConnected(opt_.dial_timeout_ms + opt_.max_retry_backoff_ms);
    }
  }

  std::vector<Result<Reply>> DoAll(std::vector<Command> cmds) override {
    using F = Future<Result<Reply>>;
    std::vector<F> futures;
    std::vector<std::unique_ptr<Request>> reqs;
    for (const Command& c : cmds) {
      auto st = std::make_shared<F::State>();
      futures.emplace_back(st);
      reqs.push_back(MakeRequest(std::span<const Command>(&c, 1), SetOne(st)));
    }
    if (cmds.empty()) return {};
    Pick(cmds[0]).Submit(std::move(reqs));
    std::vector<Result<Reply>> out;
    for (size_t i = 0; i < cmds.size(); i++) {
      out.push_back(futures[i].Take());
      if (!out.back() && (out.back().error().code() == EAGAIN ||
                          (out.back().error().code() == EIO && IsRetryable(cmds[i]))))
        out.back() = Do(cmds[i]);
    }
    return out;
  }

  Result<Reply> Eval(const Script& s, std::span<const std::string> keys,
                     std::span<const std::string> args) override {
    Command cmd = {"EVALSHA", s.sha1(), std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    ASSIGN_OR_RETURN(Reply r, Do(cmd));
    if (!r.ErrorIs("NOSCRIPT")) return r;
    ASSIGN_OR_RETURN(Reply loaded, Do({"SCRIPT", "LOAD", s.body()}));
    if (loaded.IsError()) return loaded;
    return Do(std::move(cmd));
  }

  std::vector<Result<Reply>> DoCachedAll(
      const std::vector<std::pair<Command, std::string>>& reads) override {
    std::vector<std::optional<Result<Reply>>> done(reads.size());
    std::vector<std::optional<Future<Result<Reply>>>> waits(reads.size());
    std::vector<std::vector<std::unique_ptr<Request>>> per_pipe(pipes_.size());
    for (size_t j = 0; j < reads.size(); ++j) {
      const auto& [read, key] = reads[j];
      size_t i = PipeOfKey(key);
      if (!cache_on_ || !pipes_[i]->tracking()) {
        waits[j] = SendOn(*pipes_[i], read);
        continue;
      }
      ClientCache& cache = *caches_[i];
      std::string sig;
      EncodeCommand(read, &sig);
      ClientCache::Lookup look = cache.Begin(key, sig);
      if (look.kind == ClientCache::Lookup::kHit) {
        done[j] = std::move(look.value);
        continue;
      }
      waits[j] = Future<Result<Reply>>(look.flight->result);
      if (look.kind != ClientCache::Lookup::kMiss) continue;
      // The pipe tracks every read (CLIENT TRACKING ON): an invalidation of `key` sent before
      // this reply arrives before it on the same connection, and poisons the flight.
      per_pipe[i].push_back(MakeRequest(std::span<const Command>(&read, 1),
                                        [&cache, f = look.flight](Result<std::vector<Reply>> r) {
        if (!r) return cache.Finish(f, Err(r.error()));
        cache.Finish(f, std::move(r->front()), /*tracked=*/true);
      }));
    }
    for (size_t i = 0; i < pipes_.size(); ++i) {
      if (!per_pipe[i].empty()) pipes_[i]->Submit(std::move(per_pipe[i]));
    }
    std::vector<Result<Reply>> out;
    out.reserve(reads.size());
    for (size_t j = 0; j < reads.size(); ++j) {
      if (done[j]) {
        out.push_back(std::move(*done[j]));
        continue;
      }
      Result<Reply> r = waits[j]->Get();
      // the read retry policy applies; EAGAIN: redirected by the cluster, not run
      if (!r && (r.error().code() == EIO || r.error().code() == EAGAIN)) r = Do(reads[j].first);
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<Reply> DoCached(const Command& read, const std::string& key) override {
    return std::move(DoCachedAll({{read, key}})[0]);
  }

  void Invalidate(std::span<const std::string> keys) override {
    for (const std::string& k : keys) caches_[PipeOfKey(k)]->InvalidateKey(k);
  }

  void OnInvalidate(std::function<void(std::span<const std::string>, bool)> fn) override {
    std::lock_guard lock(listener_mu_);
    listener_ = std::make_shared<Listener>(std::move(fn));
  }

  bool CacheEnabled() const override { return cache_on_; }
  bool cluster() const override { return opt_.cluster; }

  Result<std::unique_ptr<Dedicated>> Lease() override { return pool_->Lease(); }

  ClientStats Stats() const override {
    ClientStats s;
    s.commands = counters_.commands;
    s.writes = counters_.writes;
    s.direct_batches = counters_.direct_batches;
    s.reconnects = counters_.reconnects;
    s.cache_hits = cache_counters_.hits;
    s.cache_misses = cache_counters_.misses;
    s.cache_invalidations = cache_counters_.invalidations;
    s.cache_flushes = cache_counters_.flushes;
    for (auto& c : caches_) {
      s.cache_bytes += c->bytes();
      s.cache_entries += c->entries();
    }
    return s;
  }

  // PipeEvents: ["invalidate", [keys...]] or ["invalidate", nil] (FLUSHDB/FLUSHALL).
  void OnPush(size_t pipe, const Reply& push) override {
    if (push.elems.size() < 2 || push.elems[0].str != "invalidate") return;
    const Reply& keys = push.elems[1];
    if (keys.IsNil()) return OnReset(pipe);
    std::vector<std::string> names;
    for (const Reply& k : keys.elems) {
      caches_[pipe]->InvalidateKey(k.str);
      names.push_back(k.str);
    }
    if (auto l = CurrentListener()) (*l)(names, false);
  }
  void OnReset(size_t pipe) override {
    caches_[pipe]->InvalidateAll();
    if (auto l = CurrentListener()) (*l)({}, true);
  }

 private:
  // Commands on one key always use one connection, so they run in the order they were sent;
  // keyless ones take turns.
  Pipe& Pick(const Command& cmd) {
    const std::string* key = FirstKey(cmd);
    return *pipes_[key ? PipeOfKey(*key) : rr_.fetch_add(1, std::memory_order_relaxed) % pipes_.size()];
  }
  // The connection (and cache) of a key: its reads are tracked there.
  size_t PipeOfKey(const std::string& key) const {
    return pipes_.size() == 1 ? 0 : std::hash<std::string>()(key) % pipes_.size();
  }

  using Listener = std::function<void(std::span<const std::string>, bool)>;
  std::shared_ptr<Listener> CurrentListener() {
    std::lock_guard lock(listener_mu_);
    return listener_;
  }

  Future<Result<Reply>> SendOn(Pipe& p, const Command& cmd) {
    auto st = std::make_shared<Future<Result<Reply>>::State>();
    std::vector<std::unique_ptr<Request>> reqs;
    reqs.push_back(MakeRequest(std::span<const Command>(&cmd, 1), SetOne(st)));
    p.Submit(std::move(reqs));
    return Future<Result<Reply>>(st);
  }

  const Options opt_;
  PipeCounters counters_;
  std::vector<std::unique_ptr<Pipe>> pipes_;
  std::shared_ptr<DedicatedPool> pool_;
  std::atomic<size_t> rr_{0};
  bool cache_on_ = false;
  ClientCache::Counters cache_counters_;
  std::vector<std::unique_ptr<ClientCache>> caches_;  // one per pipe, same index
  std::mutex listener_mu_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const Options& given) {
  Options opt = given;
  if (!opt.cluster && opt.master_name.empty() && opt.unix_path.empty() && opt.port > 0) {
    ASSIGN_OR_RETURN(opt.cluster, IsClusterNode(opt));
    if (opt.cluster) opt.cluster_nodes = {opt.host + ":" + std::to_string(opt.port)};
  }
  if (opt.cluster) {
    if (opt.cluster_nodes.empty()) return Err(EINVAL, "redis: Redis Cluster without nodes");
    if (opt.cluster_key.empty()) opt.cluster_key = "{" + std::to_string(opt.db) + "}";
    opt.db = 0;  // a cluster has database 0 only; the URL's number is the hash tag
  }
  if (!opt.master_name.empty() && opt.sentinels.empty())
    return Err(EINVAL, "redis: Sentinel master " + opt.master_name + " without sentinels");
  if (opt.port <= 0 && opt.unix_path.empty() && opt.master_name.empty())
    return Err(EINVAL, "redis: no port and no socket path");
  if (opt.dial_timeout_ms <= 0 || opt.read_timeout_ms <= 0 || opt.write_timeout_ms <= 0)
    return Err(EINVAL, "redis: timeouts must be positive");
  auto c = std::make_unique<ClientImpl>(opt);
  RETURN_IF_ERROR(c->Start());
  return std::unique_ptr<Client>(std::move(c));
}

}  // namespace tierfs::net::redis
