// Null-safe metric helpers for the object and chunk layers.
//
// The registry is optional everywhere (nullptr = no metrics). While src/metrics has only its
// header (its implementation is being written in parallel), calling Registry methods would not
// link, so CMake defines TIERFS_METRICS_LINKED only when src/metrics/registry.cc exists; without
// it these helpers return null handles and updates are no-ops.
// TODO(lead): drop the macro once the metrics layer is merged.
// Thread-safety: as metrics::Registry.
#pragma once

#include <string>
#include <vector>

#include "metrics/registry.h"

namespace tierfs::object::mbridge {

inline metrics::Counter* GetCounter(metrics::Registry* r, const std::string& name,
                                    const std::string& help, const metrics::Labels& labels = {}) {
#ifdef TIERFS_METRICS_LINKED
  if (r != nullptr) return r->GetCounter(name, help, labels);
#endif
  return nullptr;
}

inline metrics::Gauge* GetGauge(metrics::Registry* r, const std::string& name,
                                const std::string& help, const metrics::Labels& labels = {}) {
#ifdef TIERFS_METRICS_LINKED
  if (r != nullptr) return r->GetGauge(name, help, labels);
#endif
  return nullptr;
}

enum class Buckets { kLatency, kSize };

inline metrics::Histogram* GetHistogram(metrics::Registry* r, const std::string& name,
                                        const std::string& help, Buckets buckets,
                                        const metrics::Labels& labels = {}) {
#ifdef TIERFS_METRICS_LINKED
  if (r != nullptr) {
    return r->GetHistogram(
        name, help, buckets == Buckets::kLatency ? metrics::LatencyBuckets() : metrics::SizeBuckets(),
        labels);
  }
#endif
  return nullptr;
}

inline void Inc(metrics::Counter* c, uint64_t n = 1) {
  if (c != nullptr) c->Inc(n);
}
inline void Add(metrics::Gauge* g, int64_t d) {
  if (g != nullptr) g->Add(d);
}
inline void Observe(metrics::Histogram* h, double v) {
#ifdef TIERFS_METRICS_LINKED
  if (h != nullptr) h->Observe(v);
#endif
}

}  // namespace tierfs::object::mbridge
