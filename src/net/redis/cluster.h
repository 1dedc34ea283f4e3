// Redis Cluster, as far as a client serving the keys of ONE hash slot needs it: the slot of a key
// (CRC16 of its hash tag, the Redis Cluster specification, "Keys distribution model"), and a
// resolver that asks the cluster which master serves that slot (CLUSTER SLOTS).
//
// Why one slot: tierfs (like JuiceFS) prefixes every key of a volume with the hash tag "{DB}",
// so a whole volume lives in one slot, and WATCH/MULTI/EXEC and SCAN work as on one server.
// The client connects to that slot's master like to a standalone server; a MOVED reply (the
// slot migrated, or a failover made another node its master) makes it drop the connection and
// ask the cluster again (pipe.cc, dedicated.cc). ASK (a slot in the middle of a migration) is
// not followed: those commands fail with the server's error until the migration ends.
//
// Thread-safety: KeySlot is pure; the resolver is thread-safe (each call dials afresh).
#pragma once

#include <cstdint>
#include <string_view>

#include "net/redis/pipe.h"

namespace tierfs::net::redis {

inline constexpr int kClusterSlots = 16384;

// The cluster slot of `key`: CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0) of the hash
// tag (the bytes between the first '{' and the next '}', if not empty) or the whole key, mod
// 16384. KeySlot("123456789") hashes 0x31C3 (the specification's check value).
uint16_t KeySlot(std::string_view key);

// Asks the seeds (opt.cluster_nodes, "h:p"), then the nodes learned from earlier answers, in
// turn, for CLUSTER SLOTS and returns the master serving KeySlot(opt.cluster_key).
// Errors: EIO naming every node asked and why (unreachable, not a cluster, slot unassigned).
// REQUIRES: opt.cluster.
Resolver MakeClusterResolver(const Options& opt);

// Whether the server at opt.host:opt.port is a Redis Cluster node (CLUSTER INFO answers; a
// standalone server replies "ERR This instance has cluster support disabled"). Lets a URL that
// names one node of a cluster work, as JuiceFS detects it. Errors: those of dialing.
Result<bool> IsClusterNode(const Options& opt);

}  // namespace tierfs::net::redis
