// Metrics registry: counters, gauges and histograms with labels, exposed as Prometheus text
// (https://prometheus.io/docs/instrumenting/exposition_formats/) on `--metrics` and as the
// `.stats` file in the mount root (JuiceFS's `name value` lines, labels appended to the name).
// Metric names follow JuiceFS's with a `tierfs_` prefix (docs/metrics.md).
//
// Ownership: the Registry owns every metric; the pointers it returns stay valid for its
// lifetime. One Registry per mount, passed down through constructors (never a global).
// Thread-safety: all methods may be called concurrently; updates are lock-free atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tierfs::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Fixed upper bounds (seconds or bytes); observation counts per bucket, a sum and a count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const;
  const std::vector<double>& Bounds() const { return bounds_; }
  // Cumulative count of observations <= Bounds()[i].
  uint64_t CumulativeCount(size_t i) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum in millionths, to stay an atomic integer
};

// Exponential latency buckets from 100 us to ~100 s, as JuiceFS's op histograms use.
std::vector<double> LatencyBuckets();
// Size buckets in bytes: 4 KiB .. 64 MiB, powers of 4.
std::vector<double> SizeBuckets();

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // const_labels are added to every metric (JuiceFS: vol_name, mp).
  explicit Registry(Labels const_labels = {});
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the metric of `name` with `labels`, creating it on first use. `help` is kept from
  // the first call. Asking for an existing name with another kind is a programming error.
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const Labels& labels = {});

  // Prometheus text exposition format 0.0.4.
  std::string PrometheusText() const;
  // `.stats` lines: "name value" with label values appended as _value (JuiceFS vfs/internal.go);
  // histograms give name_total (count) and name_sum.
  std::string StatsText() const;

 private:
  struct Family;
  Family& GetFamily(const std::string& name, const std::string& help, int kind);
  Labels const_labels_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

}  // namespace tierfs::metrics
