// OpMetrics: the metrics of the metadata client (docs/metrics.md, "Metadata"), JuiceFS's
// meta_ops_total / meta_ops_durations_histogram_seconds / transaction_restart / used_space /
// used_inodes under the tierfs_ prefix.
//
// OpScope times one Meta call. Only the outermost scope of a thread counts, so a Meta method
// that calls another (Readdir -> GetAttr) is one op; the method of that scope is also the
// `method` label of the transaction restarts its engine reports (TxnRestart).
//
// Ownership: the registry is borrowed (nullptr: every call is a no-op). Thread-safety: all.
#pragma once

#include <map>
#include <mutex>
#include <utility>

#include "metrics/registry.h"
#include "util/clock.h"

namespace tierfs::meta {

class OpMetrics {
 public:
  // REQUIRES: called before any other method; `registry` outlives this object.
  void Bind(metrics::Registry* registry);
  // REQUIRES: `method` is a string literal (it is cached by address).
  void Observe(const char* method, double seconds);
  // A transaction restart in the current thread's op ("background" outside any op).
  void TxnRestart();
  void SetUsage(int64_t space, int64_t inodes);

  class OpScope {
   public:
    OpScope(OpMetrics& m, const char* method);
    ~OpScope();
    OpScope(const OpScope&) = delete;
    OpScope& operator=(const OpScope&) = delete;

   private:
    OpMetrics& m_;
    const char* method_;
    bool outer_;
    Stopwatch watch_;
  };

 private:
  std::mutex mu_;
  metrics::Registry* registry_ = nullptr;
  std::map<const char*, std::pair<metrics::Counter*, metrics::Histogram*>> ops_;
  std::map<const char*, metrics::Counter*> restarts_;
  metrics::Gauge* used_space_ = nullptr;
  metrics::Gauge* used_inodes_ = nullptr;
};

}  // namespace tierfs::meta
