#include "metrics/process.h"

#include <gtest/gtest.h>

#include <string>

namespace tierfs::metrics {
namespace {

TEST(ProcessTest, GaugesAreRegisteredAndRefreshedOnScrape) {
  Registry r;
  RegisterProcessMetrics(r);
  EXPECT_GT(ResidentBytes(), 0u);
  EXPECT_GE(CpuSeconds(), 0.0);
  std::string text = r.PrometheusText();
  EXPECT_NE(text.find("# TYPE tierfs_uptime gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tierfs_cpu_usage gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tierfs_memory gauge\n"), std::string::npos);
  // The hook refreshed RSS from 0 to the real value.
  EXPECT_GT(r.GetGauge("tierfs_memory", "")->Value(), 0);
  double up1 = r.GetFloatGauge("tierfs_uptime", "")->Value();
  (void)r.StatsText();
  EXPECT_GE(r.GetFloatGauge("tierfs_uptime", "")->Value(), up1);
}

}  // namespace
}  // namespace tierfs::metrics
