#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tierfs::metrics {
namespace {

// Parsed sample lines of an exposition: "name{labels}" -> value text.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    m[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return m;
}

TEST(HistogramTest, BucketsAreInclusiveAndCumulative) {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 100.0}) h.Observe(v);
  EXPECT_EQ(h.CumulativeCount(0), 2u);  // 0.5, 1.0
  EXPECT_EQ(h.CumulativeCount(1), 4u);  // + 1.5, 2.0
  EXPECT_EQ(h.CumulativeCount(2), 5u);  // + 3.0
  EXPECT_EQ(h.CumulativeCount(3), 6u);  // +Inf
  EXPECT_EQ(h.Count(), 6u);
  EXPECT_DOUBLE_EQ(h.Sum(), 108.0);
}

TEST(HistogramTest, SumKeepsMicroPrecisionAndNegatives) {
  Histogram h({1});
  h.Observe(0.000001);
  h.Observe(0.25);
  EXPECT_DOUBLE_EQ(h.Sum(), 0.250001);
  h.Observe(-1.0);
  EXPECT_DOUBLE_EQ(h.Sum(), -0.749999);
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(h.Count(), 3u);
}

TEST(HistogramTest, BoundsAreNormalised) {
  Histogram h({4, 1, 2, 2, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.Bounds(), (std::vector<double>{1, 2, 4}));
}

TEST(BucketsTest, Shapes) {
  auto lat = LatencyBuckets();
  ASSERT_EQ(lat.size(), 21u);
  EXPECT_DOUBLE_EQ(lat.front(), 0.0001);
  EXPECT_NEAR(lat.back(), 104.8576, 1e-9);
  auto size = SizeBuckets();
  ASSERT_EQ(size.size(), 8u);
  EXPECT_EQ(size.front(), 4096);
  EXPECT_EQ(size.back(), 64.0 * 1024 * 1024);
}

TEST(RegistryTest, SameNameAndLabelsGiveSameMetric) {
  Registry r;
  auto* a = r.GetCounter("tierfs_x", "x", {{"method", "read"}});
  auto* b = r.GetCounter("tierfs_x", "other help", {{"method", "read"}});
  auto* c = r.GetCounter("tierfs_x", "x", {{"method", "write"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Label order does not make another series.
  auto* d = r.GetGauge("tierfs_g", "g", {{"a", "1"}, {"b", "2"}});
  auto* e = r.GetGauge("tierfs_g", "g", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(d, e);
}

TEST(RegistryDeathTest, KindMismatchAborts) {
  Registry r;
  r.GetCounter("tierfs_x", "x");
  EXPECT_DEATH(r.GetGauge("tierfs_x", "x"), "is a counter");
  EXPECT_DEATH(r.GetCounter("bad name", "x"), "invalid metric name");
  EXPECT_DEATH(r.GetCounter("tierfs_y", "y", {{"le", "1"}}), "invalid label name");
}

TEST(RegistryTest, PrometheusTextGolden) {
  Registry r({{"vol_name", "myjfs"}, {"mp", "/mnt/jfs"}});
  r.GetCounter("tierfs_fuse_ops_total", "Total number of operations.", {{"method", "read"}})
      ->Inc(12);
  r.GetCounter("tierfs_fuse_ops_total", "Total number of operations.", {{"method", "lookup"}})
      ->Inc(3);
  r.GetGauge("tierfs_used_inodes", "Used inodes.")->Set(-5);
  r.GetFloatGauge("tierfs_uptime", "Uptime.")->Set(1.5);
  auto* h = r.GetHistogram("tierfs_op_seconds", "Latency.", {0.001, 0.1});
  h->Observe(0.0005);
  h->Observe(0.05);
  h->Observe(3);
  EXPECT_EQ(r.PrometheusText(),
            "# HELP tierfs_fuse_ops_total Total number of operations.\n"
            "# TYPE tierfs_fuse_ops_total counter\n"
            "tierfs_fuse_ops_total{method=\"lookup\",mp=\"/mnt/jfs\",vol_name=\"myjfs\"} 3\n"
            "tierfs_fuse_ops_total{method=\"read\",mp=\"/mnt/jfs\",vol_name=\"myjfs\"} 12\n"
            "# HELP tierfs_op_seconds Latency.\n"
            "# TYPE tierfs_op_seconds histogram\n"
            "tierfs_op_seconds_bucket{mp=\"/mnt/jfs\",vol_name=\"myjfs\",le=\"0.001\"} 1\n"
            "tierfs_op_seconds_bucket{mp=\"/mnt/jfs\",vol_name=\"myjfs\",le=\"0.1\"} 2\n"
            "tierfs_op_seconds_bucket{mp=\"/mnt/jfs\",vol_name=\"myjfs\",le=\"+Inf\"} 3\n"
            "tierfs_op_seconds_sum{mp=\"/mnt/jfs\",vol_name=\"myjfs\"} 3.0505\n"
            "tierfs_op_seconds_count{mp=\"/mnt/jfs\",vol_name=\"myjfs\"} 3\n"
            "# HELP tierfs_uptime Uptime.\n"
            "# TYPE tierfs_uptime gauge\n"
            "tierfs_uptime{mp=\"/mnt/jfs\",vol_name=\"myjfs\"} 1.5\n"
            "# HELP tierfs_used_inodes Used inodes.\n"
            "# TYPE tierfs_used_inodes gauge\n"
            "tierfs_used_inodes{mp=\"/mnt/jfs\",vol_name=\"myjfs\"} -5\n");
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry r;
  r.GetCounter("tierfs_c", "a \\ back\nslash \"q\"", {{"path", "a\\b\"c\nd"}})->Inc();
  EXPECT_EQ(r.PrometheusText(),
            "# HELP tierfs_c a \\\\ back\\nslash \"q\"\n"
            "# TYPE tierfs_c counter\n"
            "tierfs_c{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(RegistryTest, HistogramExpositionIsMonotonicAndConsistent) {
  Registry r;
  auto* h = r.GetHistogram("tierfs_lat", "l", LatencyBuckets(), {{"method", "get"}});
  for (int i = 0; i < 1000; ++i) h->Observe(0.00005 * (i % 300) * (i % 7));
  std::string text = r.PrometheusText();
  // Walk the _bucket lines in order: le parses back to the bounds, counts never decrease.
  std::istringstream in(text);
  std::string line;
  std::vector<double> les;
  std::vector<uint64_t> counts;
  const std::string prefix = "tierfs_lat_bucket{method=\"get\",le=\"";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    auto q = line.find('"', prefix.size());
    std::string le = line.substr(prefix.size(), q - prefix.size());
    les.push_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le));
    counts.push_back(std::stoull(line.substr(line.rfind(' ') + 1)));
  }
  auto bounds = LatencyBuckets();
  ASSERT_EQ(les.size(), bounds.size() + 1);
  for (size_t i = 0; i < bounds.size(); ++i) EXPECT_EQ(les[i], bounds[i]) << i;
  EXPECT_TRUE(std::isinf(les.back()));
  for (size_t i = 1; i < counts.size(); ++i) EXPECT_GE(counts[i], counts[i - 1]) << i;
  for (size_t i = 0; i < bounds.size(); ++i) EXPECT_EQ(counts[i], h->CumulativeCount(i)) << i;
  auto samples = Samples(text);
  uint64_t inf = counts.back();
  EXPECT_EQ(inf, 1000u);
  EXPECT_EQ(samples["tierfs_lat_count{method=\"get\"}"], "1000");
  EXPECT_NEAR(std::stod(samples["tierfs_lat_sum{method=\"get\"}"]), h->Sum(), 1e-9);
}

TEST(RegistryTest, StatsTextJuiceFsFormat) {
  Registry r({{"vol_name", "myjfs"}, {"mp", "/mnt/jfs"}});
  r.GetCounter("tierfs_fuse_ops_total", "ops", {{"method", "read"}})->Inc(12);
  r.GetCounter("tierfs_fuse_ops_io_errors", "errs", {{"errno", "EIO"}})->Inc(2);
  r.GetGauge("tierfs_memory", "rss")->Set(4096);
  r.GetFloatGauge("tierfs_cpu_usage", "cpu")->Set(0.25);
  auto* h = r.GetHistogram("tierfs_read_size_bytes", "sizes", SizeBuckets());
  h->Observe(4096);
  h->Observe(100);
  r.GetHistogram("tierfs_obj_seconds", "o", {1}, {{"method", "GET"}, {"storage_class", "hot"}})
      ->Observe(0.5);
  EXPECT_EQ(r.StatsText(),
            "tierfs_cpu_usage 0.25\n"
            "tierfs_fuse_ops_io_errors_EIO 2\n"
            "tierfs_fuse_ops_total_read 12\n"
            "tierfs_memory 4096\n"
            "tierfs_obj_seconds_GET_hot_total 1\n"
            "tierfs_obj_seconds_GET_hot_sum 0.5\n"
            "tierfs_read_size_bytes_total 2\n"
            "tierfs_read_size_bytes_sum 4196\n");
}

TEST(RegistryTest, ConcurrentUpdatesGiveExactTotals) {
  Registry r;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      // Each thread looks the metrics up itself: creation races too.
      auto* c = r.GetCounter("tierfs_c", "c", {{"method", "read"}});
      auto* g = r.GetGauge("tierfs_g", "g");
      auto* h = r.GetHistogram("tierfs_h", "h", {0.5});
      for (int i = 0; i < kPerThread; ++i) {
        c->Inc();
        g->Add(t % 2 == 0 ? 2 : -1);
        h->Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  // Scrape while writers run: must not crash or deadlock.
  for (int i = 0; i < 20; ++i) (void)r.PrometheusText();
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.GetCounter("tierfs_c", "c", {{"method", "read"}})->Value(),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(r.GetGauge("tierfs_g", "g")->Value(), int64_t{kPerThread} * (2 + 2 - 1 - 1));
  auto* h = r.GetHistogram("tierfs_h", "h", {0.5});
  EXPECT_EQ(h->Count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h->CumulativeCount(0), uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(h->Sum(), kThreads * (kPerThread / 2) * 1.25);
}

TEST(RegistryTest, CollectHooksRunBeforeExposition) {
  Registry r;
  auto* g = r.GetGauge("tierfs_sampled", "s");
  int calls = 0;
  r.AddCollectHook([&] { g->Set(++calls); });
  // A hook may register metrics: it runs without the registry lock.
  r.AddCollectHook([&] { r.GetCounter("tierfs_from_hook", "h")->Inc(); });
  EXPECT_NE(r.StatsText().find("tierfs_sampled 1\n"), std::string::npos);
  std::string text = r.PrometheusText();
  EXPECT_NE(text.find("tierfs_sampled 2\n"), std::string::npos);
  EXPECT_NE(text.find("tierfs_from_hook 2\n"), std::string::npos);
}

}  // namespace
}  // namespace tierfs::metrics
