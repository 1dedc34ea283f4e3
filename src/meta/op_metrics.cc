#include "meta/op_metrics.h"

namespace tierfs::meta {
namespace {
thread_local const char* current_op = nullptr;
}  // namespace

void OpMetrics::Bind(metrics::Registry* registry) {
  std::lock_guard lk(mu_);
  registry_ = registry;
  ops_.clear();
  restarts_.clear();
  used_space_ = used_inodes_ = nullptr;
  if (!registry_) return;
  used_space_ = registry_->GetGauge("tierfs_used_space", "Total used space in bytes.");
  used_inodes_ = registry_->GetGauge("tierfs_used_inodes", "Total used number of inodes.");
}

void OpMetrics::Observe(const char* method, double seconds) {
  std::pair<metrics::Counter*, metrics::Histogram*> m;
  {
    std::lock_guard lk(mu_);
    if (!registry_) return;
    auto it = ops_.find(method);
    if (it == ops_.end()) {
      metrics::Labels l{{"method", method}};
      auto* c = registry_->GetCounter("tierfs_meta_ops_total", "Meta operation count", l);
      auto* h = registry_->GetHistogram("tierfs_meta_ops_durations_histogram_seconds",
                                        "Operation latency distributions.",
                                        metrics::LatencyBuckets(), l);
      it = ops_.emplace(method, std::pair{c, h}).first;
    }
    m = it->second;
  }
  m.first->Inc();
  m.second->Observe(seconds);
}

void OpMetrics::TxnRestart() {
  const char* method = current_op ? current_op : "background";
  metrics::Counter* c;
  {
    std::lock_guard lk(mu_);
    if (!registry_) return;
    auto it = restarts_.find(method);
    if (it == restarts_.end()) {
      c = registry_->GetCounter("tierfs_transaction_restart",
                                "The number of times a transaction is restarted.",
                                {{"method", method}});
      restarts_.emplace(method, c);
    } else {
      c = it->second;
    }
  }
  c->Inc();
}

void OpMetrics::SetUsage(int64_t space, int64_t inodes) {
  std::lock_guard lk(mu_);
  if (!registry_) return;
  used_space_->Set(space);
  used_inodes_->Set(inodes);
}

OpMetrics::OpScope::OpScope(OpMetrics& m, const char* method)
    : m_(m), method_(method), outer_(current_op == nullptr) {
  if (outer_) current_op = method;
}

OpMetrics::OpScope::~OpScope() {
  if (!outer_) return;
  current_op = nullptr;
  m_.Observe(method_, watch_.ElapsedSeconds());
}

}  // namespace tierfs::meta
