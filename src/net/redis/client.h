// net/redis: a Redis client of our own on the model of rueidis (redis/rueidis mux.go, pipe.go):
// commands of concurrent callers are pipelined automatically over a few shared connections,
// exclusive connections come from a bounded pool for WATCH..EXEC and blocking commands, Lua runs
// by EVALSHA with a NOSCRIPT reload, and reads the caller marks cacheable are answered from a
// server-assisted client-side cache (CLIENT TRACKING, RESP3 pushes on the same connection).
// Knows nothing of file systems. Protocol: RESP2/RESP3 (https://redis.io/docs/reference/protocol-spec/).
//
// Errors: a Status with an errno for transport failures only (EIO: connection lost or refused,
// ETIMEDOUT: no reply within read_timeout_ms, EAGAIN: the send queue is full and stayed full for
// write_timeout_ms, EACCES: AUTH refused, EINVAL: bad options). A server error reply ("-ERR ...",
// "-WRONGTYPE ...") is NOT a Status failure: it is a Reply of type kError, so that groups and
// transactions can report per-command errors.
// Thread-safety: Client and its futures are thread-safe; a Dedicated lease is for one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/redis/future.h"
#include "net/redis/reply.h"
#include "util/status.h"

namespace tierfs::net::redis {

// One command: its name and arguments as binary-safe strings, e.g. {"HGET", "d1", "name"}.
using Command = std::vector<std::string>;

struct TlsOptions {
  bool enabled = false;         // rediss://, ruediss://
  std::string cert_file;        // tls-cert-file: client certificate (PEM); "" = none
  std::string key_file;         // tls-key-file
  std::string ca_file;          // tls-ca-cert-file; "" = the system CA store
  std::string server_name;      // tls-server-name; "" = the host
  bool insecure_skip_verify = false;
};

struct Options {
  // Where: host/port, or unix_path (unix:///path/to/sock). For Sentinel: master_name and
  // sentinels ("h:p"); the master is asked from the sentinels and re-asked after a failover.
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path;
  std::string master_name;
  std::vector<std::string> sentinels;
  std::string sentinel_password;  // SENTINEL_PASSWORD
  // Redis Cluster (cluster.h): the seeds ("h:p"), and the key whose hash slot's master this
  // client talks to (every key it sends must hash to that slot: tierfs gives all of a volume's
  // keys the hash tag "{DB}"); "" = "{db}". A URL naming one node is detected at Connect.
  bool cluster = false;
  std::vector<std::string> cluster_nodes;
  std::string cluster_key;
  std::string user, password;     // AUTH [user] password; never logged
  int db = 0;                     // SELECT db (not in cluster mode: there it names the hash tag)
  TlsOptions tls;

  int dial_timeout_ms = 5000;
  int read_timeout_ms = 30000;    // JuiceFS read-timeout: a reply must arrive within this
  int write_timeout_ms = 5000;    // JuiceFS write-timeout: a request must be sent within this
  int min_retry_backoff_ms = 20;  // reconnect backoff, doubled up to the max, with jitter
  int max_retry_backoff_ms = 10000;
  int max_retries = 10;           // retries of idempotent reads after a connection loss

  int pipelines = 2;              // shared pipelined connections; a key always uses the same one
  size_t max_queued = 4096;       // per connection; a full queue blocks the caller (back-pressure)
  size_t dedicated_pool = 64;     // bound on exclusive connections (WATCH txns, blocking cmds)

  bool client_cache = true;       // CLIENT TRACKING ON (default mode); off when the server cannot
  size_t cache_bytes = 100 << 20; // client-cache-size, bytes (LRU by estimated size)
  int cache_ttl_ms = 60000;       // client-cache-expire: no entry is served older than this
};

// Parses redis://, rediss:// (TLS), unix://, rueidis://, ruediss:// URLs as JuiceFS does:
//   redis://[user:pw@]host[:port][/db][?opts]   redis://[user:pw@]master,s1,s2:26379/db (Sentinel)
//   unix://[user:pw@]/path/redis.sock[?db=N]
// Password: the URL, else REDIS_PASSWORD, else META_PASSWORD. Query options (JuiceFS names):
// read-timeout, write-timeout, dial-timeout (durations "5s", "300ms"), min-retry-backoff,
// max-retry-backoff, max-retries, tls-cert-file, tls-key-file, tls-ca-cert-file, tls-server-name,
// insecure-skip-verify, client-cache (true/false), client-cache-size (MiB), client-cache-expire.
// Unknown options are left for the caller (the metadata engine reads inode_batch etc.).
// Errors: EINVAL naming the problem, with the password redacted.
Result<Options> OptionsFromUrl(std::string_view url);

// Future<T> (future.h): a value that will be there later. Get() blocks until it is; Ready() does
// not block.

// A Lua script: its text and SHA1, loaded on first use and again after NOSCRIPT (a restart or
// SCRIPT FLUSH).
class Script {
 public:
  explicit Script(std::string body);
  const std::string& body() const { return body_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string body_, sha1_;
};

struct ClientStats {
  uint64_t commands = 0;        // commands written
  uint64_t writes = 0;          // write(2) calls of the pipelined connections
  uint64_t direct_batches = 0;  // requests written by their caller's thread (the fast path)
  uint64_t reconnects = 0;
  uint64_t cache_hits = 0, cache_misses = 0, cache_invalidations = 0, cache_flushes = 0;
  uint64_t cache_bytes = 0, cache_entries = 0;
};

class Dedicated;

class Client {
 public:
  // Connects (all shared connections, the handshake: HELLO 3 or 2, AUTH, SELECT, CLIENT
  // TRACKING). Errors: EIO/ETIMEDOUT (unreachable; in a cluster: no node names the slot's
  // master), EACCES (wrong password), EINVAL (bad options). With RESP3 a hash comes back as a kMap, with RESP2 (a server
  // without HELLO) as a kArray: both hold field, value, field, value... in elems.
  static Result<std::unique_ptr<Client>> Connect(const Options& opt);
  virtual ~Client() = default;

  // Pipelined: queued on a shared connection and written with everything else queued since its
  // last write. The connection is picked by the first key (argv[1], EVAL's first key), so
  // commands on one key run in the order they were sent; commands on different keys may run in
  // another order unless they are sent together (SendGroup, DoAll) or the caller waits.
  virtual Future<Result<Reply>> Send(Command cmd) = 0;
  // A contiguous group (MULTI..EXEC): written together, one Reply per
  // command. On a connection loss the whole group fails with EIO and is never replayed.
  virtual Future<Result<std::vector<Reply>>> SendGroup(std::vector<Command> group) = 0;
  // Convenience: Send(...).Get(). Idempotent reads (GET, HGET, HGETALL, MGET, LRANGE, ...) are
  // retried after a connection loss up to max_retries; writes never are.
  virtual Result<Reply> Do(Command cmd) = 0;
  // Independent commands sent together on one connection (so executed in this order), waited
  // for once: one reply (or error) per command.
  virtual std::vector<Result<Reply>> DoAll(std::vector<Command> cmds) = 0;
  // EVALSHA sha numkeys keys... args...; on NOSCRIPT, SCRIPT LOAD and one retry.
  virtual Result<Reply> Eval(const Script& s, std::span<const std::string> keys,
                             std::span<const std::string> args) = 0;

  // Client-side cache. `read` must be a read of exactly one key (`key`), e.g. GET k, HGET k f,
  // HGETALL k, LRANGE k 0 -1, SMEMBERS k. Answered from the cache when an entry for (key, read)
  // exists; else sent (the connection tracks every read) and the reply stored unless an
  // invalidation of `key` arrived before it. Nil replies are cached too. Falls back to Do() when the cache is
  // off.
  virtual Result<Reply> DoCached(const Command& read, const std::string& key) = 0;
  // Several cacheable reads (read, key) at once: the hits answered from the cache, the misses
  // sent together and waited for once. One result
  // per read, in order.
  virtual std::vector<Result<Reply>> DoCachedAll(
      const std::vector<std::pair<Command, std::string>>& reads) = 0;
  // Drops our cached entries of `keys` (call before completing our own write to them).
  virtual void Invalidate(std::span<const std::string> keys) = 0;
  // Called (on the reader thread; keep it short, never call the Client from it) with the keys the
  // server invalidated, or all=true when the cache was flushed (FLUSHDB, tracking lost).
  virtual void OnInvalidate(std::function<void(std::span<const std::string> keys, bool all)> fn) = 0;
  virtual bool CacheEnabled() const = 0;

  // An exclusive connection for WATCH..MULTI..EXEC or blocking commands; returned to the pool
  // when the lease is destroyed (UNWATCHed first). EAGAIN when the pool stays exhausted for
  // write_timeout_ms.
  virtual Result<std::unique_ptr<Dedicated>> Lease() = 0;

  virtual ClientStats Stats() const = 0;
  // Whether the server is a Redis Cluster (named so by the URL, or detected at Connect).
  virtual bool cluster() const = 0;
};

// An exclusive connection. Not thread-safe: one owner at a time.
class Dedicated {
 public:
  virtual ~Dedicated() = default;
  virtual Result<Reply> Do(const Command& cmd) = 0;
  // Writes all, then reads all replies: one round trip. EAGAIN when the cluster redirected a
  // command (MOVED): nothing of the round trip ran, the connection is dropped, and a new lease
  // connects to the slot's new master.
  virtual Result<std::vector<Reply>> Pipeline(std::span<const Command> cmds) = 0;
  // A MOVED reply was seen on this lease (its transaction did not run and may be retried).
  virtual bool redirected() const = 0;
};

}  // namespace tierfs::net::redis
