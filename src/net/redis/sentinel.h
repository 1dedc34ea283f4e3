// Where the shared connections and leases connect: a fixed endpoint, the master that Redis
// Sentinel names, or the master of the client's slot in a Redis Cluster (cluster.h). The Sentinel resolver asks the sentinels in turn
// (SENTINEL get-master-addr-by-name <master_name>) on every dial, so a reconnect after a
// failover finds the new master.
// Errors of the resolver: EIO when no sentinel answers or none knows the master.
// Thread-safety: the returned function is thread-safe (each call dials afresh).
#pragma once

#include "net/redis/pipe.h"

namespace tierfs::net::redis {

// REQUIRES: opt.master_name is empty or opt.sentinels is not.
Resolver MakeResolver(const Options& opt);

}  // namespace tierfs::net::redis
