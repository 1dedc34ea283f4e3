// DedicatedPool: a bounded pool of exclusive connections (WATCH..MULTI..EXEC, blocking
// commands, big pipelines), created lazily and reused. A connection goes back with
// UNWATCH (DISCARD when a MULTI was left open); one that failed or did not answer is dropped.
// No tracking on them, so they never carry invalidation pushes.
// Thread-safety: the pool is thread-safe; a lease belongs to one thread. Leases keep the pool
// alive (shared_ptr), so a lease may outlive its Client.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "net/redis/conn.h"
#include "net/redis/pipe.h"

namespace tierfs::net::redis {

class DedicatedPool : public std::enable_shared_from_this<DedicatedPool> {
 public:
  DedicatedPool(const Options& opt, Resolver resolve) : opt_(opt), resolve_(std::move(resolve)) {}

  // EAGAIN when all dedicated_pool connections stay leased for write_timeout_ms; dial errors.
  Result<std::unique_ptr<Dedicated>> Lease();
  // Takes a connection back (null: it broke, free its slot).
  void Return(std::unique_ptr<Conn> c);

 private:
  const Options opt_;
  const Resolver resolve_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  size_t open_ = 0;  // idle + leased
};

}  // namespace tierfs::net::redis
