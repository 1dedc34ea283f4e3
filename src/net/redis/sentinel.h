// Where the shared connections and leases connect: a fixed endpoint, or the master that Redis
// Sentinel names. The Sentinel resolver asks the sentinels in turn
// (SENTINEL get-master-addr-by-name <master_name>) on every dial, so a reconnect after a
// failover finds the new master.
// Errors of the resolver: EIO when no sentinel answers or none knows the master.
// Thread-safety: the returned function is thread-safe (each call dials afresh).
#pragma once

#include "net/redis/pipe.h"

namespace tierfs::net::redis {

// REQUIRES: opt.master_name is empty or opt.sentinels is not.
Resolver MakeResolver(const Options& opt);

// "h:p" / "[v6]:p" -> Endpoint; EINVAL when malformed.
Result<Endpoint> ParseHostPort(const std::string& hp);

}  // namespace tierfs::net::redis
