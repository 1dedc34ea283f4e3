// Process metrics, as JuiceFS exposes them (under the tierfs_ prefix):
//   tierfs_uptime     gauge, seconds since RegisterProcessMetrics was called
//   tierfs_cpu_usage  gauge, user + system CPU seconds consumed by the process
//   tierfs_memory     gauge, resident set size in bytes
// The values are sampled by a collect hook, i.e. refreshed on every scrape of the registry.
//
// Thread-safety: call once per Registry; the hook is safe under concurrent scrapes.
#pragma once

#include <cstdint>

#include "metrics/registry.h"

namespace tierfs::metrics {

// Registers the three gauges and the hook refreshing them. The hook holds pointers into
// `registry` only, so it adds no lifetime constraint.
void RegisterProcessMetrics(Registry& registry);

// Resident set size of this process in bytes (from /proc/self/statm); 0 when unreadable.
uint64_t ResidentBytes();
// User + system CPU time of this process in seconds (getrusage).
double CpuSeconds();

}  // namespace tierfs::metrics
