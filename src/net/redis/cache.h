// ClientCache: the server-assisted client-side cache of ONE pipelined connection (rueidis
// lru.go). Entries are indexed key -> command signature -> reply, so HGET k f and HGETALL k are
// separate entries and an invalidation of k drops both. Eviction is LRU by estimated bytes
// within a budget; no entry is served more than ttl after it was stored.
//
// Read/invalidate race: a miss first inserts a pending flight for (key, signature); concurrent
// readers of the same pair wait on it (singleflight). An invalidation of the key (a push, our
// own write, a flush, a connection loss or reconnect) poisons the key's pending flights and drops
// its entries; a reply is stored only if its flight was not poisoned. With RESP3 the reply and
// the push travel in order on the same connection, so the poison check is a second line of
// defence; it is cheap.
// Thread-safety: thread-safe. Finish() runs on the connection's reader thread, in order with the
// pushes; nothing here calls out while holding the lock.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "net/redis/client.h"

namespace tierfs::net::redis {

class ClientCache {
 public:
  using Clock = std::chrono::steady_clock;
  using ReplyFuture = Future<Result<Reply>>;

  struct Flight {
    std::string key, sig;
    std::shared_ptr<ReplyFuture::State> result = std::make_shared<ReplyFuture::State>();
    bool poisoned = false;  // guarded by the cache's lock
  };

  // What Begin() found: a hit (value), a flight to wait for, or a miss the caller must send.
  struct Lookup {
    enum Kind { kHit, kWait, kMiss } kind;
    Reply value;                     // kHit
    std::shared_ptr<Flight> flight;  // kWait, kMiss
  };

  struct Counters {
    std::atomic<uint64_t> hits{0}, misses{0}, invalidations{0}, flushes{0};
  };

  ClientCache(size_t budget_bytes, std::chrono::milliseconds ttl, Counters* counters)
      : budget_(budget_bytes), ttl_(ttl), counters_(counters) {}

  Lookup Begin(const std::string& key, const std::string& sig);
  // Completes a kMiss flight: stores the reply if `keep`, the flight was not poisoned and the
  // reply is no error; wakes the waiters.
  void Finish(const std::shared_ptr<Flight>& f, Result<Reply> r, bool keep = true);
  void InvalidateKey(const std::string& key);
  void InvalidateAll();

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::string key, sig;
    Reply value;
    size_t bytes;
    Clock::time_point expires;
  };
  using Lru = std::list<Entry>;  // front: least recently used

  void EraseLocked(Lru::iterator it);
  void PoisonLocked(const std::string& key);

  const size_t budget_;
  const std::chrono::milliseconds ttl_;
  Counters* counters_;
  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string, std::unordered_map<std::string, Lru::iterator>> index_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::shared_ptr<Flight>>> flights_;
  size_t bytes_ = 0;
};

}  // namespace tierfs::net::redis
