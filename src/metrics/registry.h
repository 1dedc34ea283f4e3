// Metrics registry: counters, gauges and histograms with labels, exposed as Prometheus text
// (https://prometheus.io/docs/instrumenting/exposition_formats/) on `--metrics` and as the
// `.stats` file in the mount root (JuiceFS's `name value` lines, labels appended to the name).
// Metric names follow JuiceFS's with a `tierfs_` prefix (docs/metrics.md).
//
// Ownership: the Registry owns every metric; the pointers it returns stay valid for its
// lifetime. One Registry per mount, passed down through constructors (never a global).
// Thread-safety: all methods may be called concurrently; updates are lock-free atomics.
// Exposition (PrometheusText, StatsText) takes the registry lock only to walk the families;
// it never blocks updates of existing metrics. Output order is deterministic: families by name, then series by
// their sorted labels.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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

// A gauge with a fractional value (seconds of CPU, uptime). Exposed exactly like Gauge.
class FloatGauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Fixed upper bounds (seconds or bytes); observation counts per bucket, a sum and a count.
// Bounds are sorted and de-duplicated; an explicit +Inf bound is dropped (it is implicit).
// Observe(NaN) is ignored. The sum is kept in millionths in a 64-bit integer: it is exact to
// 1e-6 and wraps after 9.2e12 units (e.g. 9.2 TB observed in a byte-size histogram).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const;
  const std::vector<double>& Bounds() const { return bounds_; }
  // Cumulative count of observations <= Bounds()[i]; i == Bounds().size() gives the +Inf
  // bucket (every observation).
  // REQUIRES: i <= Bounds().size().
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
  ~Registry();  // out of line: Family is incomplete here
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the metric of `name` with `labels`, creating it on first use. `help` is kept from
  // the first call. Asking for an existing name with another kind, or an invalid metric or
  // label name, is a programming error: the process aborts with a message.
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  FloatGauge* GetFloatGauge(const std::string& name, const std::string& help,
                            const Labels& labels = {});
  // The bounds of the first call for `name` are used for every series of that name.
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const Labels& labels = {});

  // Runs `hook` at the start of every PrometheusText()/StatsText(), before the values are
  // read: used to refresh gauges that are sampled rather than updated (process metrics).
  // Hooks run in the scraping thread, without the registry lock held (they may call Get*),
  // possibly concurrently with each other when two scrapes overlap.
  void AddCollectHook(std::function<void()> hook);

  // Prometheus text exposition format 0.0.4, const labels included.
  std::string PrometheusText() const;
  // `.stats` lines: "name value" with label values appended as _value (JuiceFS vfs/internal.go);
  // histograms give name_total (count) and name_sum. Const labels are left out.
  std::string StatsText() const;

 private:
  struct Family;
  struct Series;
  // Returns the series of `name` with `labels`, creating family and series on first use.
  // REQUIRES: mu_ held.
  Series& GetSeries(const std::string& name, const std::string& help, int kind,
                    const Labels& labels, const std::vector<double>* bounds);
  void RunHooks() const;
  Labels const_labels_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
  mutable std::mutex hooks_mu_;
  std::vector<std::function<void()>> hooks_;
};

}  // namespace tierfs::metrics
