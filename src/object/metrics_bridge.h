// Null-safe metric helpers for the object and chunk layers: the registry is optional
// everywhere (nullptr = no metrics), and a null handle makes every update a no-op.
// Thread-safety: as metrics::Registry.
#pragma once

#include <string>
#include <vector>

#include "metrics/registry.h"

namespace tierfs::object::mbridge {

inline metrics::Counter* GetCounter(metrics::Registry* r, const std::string& name,
                                    const std::string& help, const metrics::Labels& labels = {}) {
  return r != nullptr ? r->GetCounter(name, help, labels) : nullptr;
}

inline metrics::Gauge* GetGauge(metrics::Registry* r, const std::string& name,
                                const std::string& help, const metrics::Labels& labels = {}) {
  return r != nullptr ? r->GetGauge(name, help, labels) : nullptr;
}

inline metrics::Histogram* GetHistogram(metrics::Registry* r, const std::string& name,
                                        const std::string& help, const std::vector<double>& bounds,
                                        const metrics::Labels& labels = {}) {
  return r != nullptr ? r->GetHistogram(name, help, bounds, labels) : nullptr;
}

inline void Inc(metrics::Counter* c, uint64_t n = 1) {
  if (c != nullptr) c->Inc(n);
}
inline void Add(metrics::Gauge* g, int64_t d) {
  if (g != nullptr) g->Add(d);
}
inline void Observe(metrics::Histogram* h, double v) {
  if (h != nullptr) h->Observe(v);
}

}  // namespace tierfs::object::mbridge
