#include "util/units.h"

#include <gtest/gtest.h>

namespace tierfs {
namespace {

using namespace std::chrono_literals;

TEST(ParseBytesTest, UnitsAreBinaryLikeJuiceFs) {
  EXPECT_EQ(ParseBytes("4M").value(), 4 * kMiB);
  EXPECT_EQ(ParseBytes("4MB").value(), 4 * kMiB);
  EXPECT_EQ(ParseBytes("4MiB").value(), 4 * kMiB);
  EXPECT_EQ(ParseBytes("4mib").value(), 4 * kMiB);
  EXPECT_EQ(ParseBytes("1G").value(), kGiB);
  EXPECT_EQ(ParseBytes("128K").value(), 128 * kKiB);
  EXPECT_EQ(ParseBytes("2T").value(), 2 * kTiB);
  EXPECT_EQ(ParseBytes("1.5G").value(), 3 * kGiB / 2);
  EXPECT_EQ(ParseBytes("512B").value(), 512u);
  EXPECT_EQ(ParseBytes("0").value(), 0u);
  EXPECT_EQ(ParseBytes(" 8 M ").value(), 8 * kMiB);
}

TEST(ParseBytesTest, BareNumberUsesDefaultUnit) {
  EXPECT_EQ(ParseBytes("300", kMiB).value(), 300 * kMiB);  // --buffer-size
  EXPECT_EQ(ParseBytes("300").value(), 300u);
  EXPECT_EQ(ParseBytes("100", kGiB).value(), 100 * kGiB);
  EXPECT_EQ(ParseBytes("4K", kMiB).value(), 4 * kKiB);  // an explicit unit wins
}

TEST(ParseBytesTest, Malformed) {
  for (const char* bad : {"", "M", "-1M", "4X", "4MM", "4 MiBs", "1.2.3", "abc", "4Mi B"}) {
    auto r = ParseBytes(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
    EXPECT_NE(r.error().message().find(bad), std::string::npos);
  }
  EXPECT_EQ(ParseBytes("16E").error().code(), ERANGE);
  EXPECT_EQ(ParseBytes("15E").value(), uint64_t{15} << 60);
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(ParseDuration("1s").value(), 1s);
  EXPECT_EQ(ParseDuration("100ms").value(), 100ms);
  EXPECT_EQ(ParseDuration("1h").value(), 1h);
  EXPECT_EQ(ParseDuration("12s").value(), 12s);
  EXPECT_EQ(ParseDuration("1h30m").value(), 90min);
  EXPECT_EQ(ParseDuration("1.5h").value(), 90min);
  EXPECT_EQ(ParseDuration("10us").value(), 10us);
  EXPECT_EQ(ParseDuration("10\xc2\xb5s").value(), 10us);
  EXPECT_EQ(ParseDuration("7ns").value(), 7ns);
  EXPECT_EQ(ParseDuration("1d").value(), 24h);
  EXPECT_EQ(ParseDuration("0").value(), 0s);
}

TEST(ParseDurationTest, BareNumberUsesDefaultUnit) {
  EXPECT_EQ(ParseDuration("2.5").value(), 2500ms);
  EXPECT_EQ(ParseDuration("3", 1min).value(), 3min);
  EXPECT_EQ(ParseDuration("250", 1ms).value(), 250ms);
}

TEST(ParseDurationTest, Malformed) {
  for (const char* bad : {"", "s", "-1s", "1x", "1h30", "1..5s", "ms5", "1 h"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
  }
  EXPECT_EQ(ParseDuration("300y").error().code(), EINVAL);
  EXPECT_EQ(ParseDuration("999999999h").error().code(), ERANGE);
}

TEST(ParseMbpsTest, SuffixesAreDecimalLikeJuicefs) {
  EXPECT_EQ(ParseMbps("100").value(), 100);
  EXPECT_EQ(ParseMbps("100M").value(), 100);
  EXPECT_EQ(ParseMbps("100m").value(), 100);
  EXPECT_EQ(ParseMbps("1G").value(), 1000);
  EXPECT_EQ(ParseMbps("1.5g").value(), 1500);
  EXPECT_EQ(ParseMbps("2T").value(), 2'000'000);
  EXPECT_EQ(ParseMbps("1P").value(), 1'000'000'000);
  EXPECT_EQ(ParseMbps("0").value(), 0);
  EXPECT_EQ(ParseMbps("2.9").value(), 2);  // whole Mbps, truncated (JuiceFS int64(val))
  EXPECT_EQ(MbpsToBytesPerSec(8), 1'000'000);
  EXPECT_EQ(MbpsToBytesPerSec(100), 12'500'000);
}

TEST(ParseMbpsTest, Malformed) {
  for (const char* bad : {"", "-1", "fast", "10K", "10MB", "10Mbps", "1e3"}) {
    EXPECT_EQ(ParseMbps(bad).error().code(), EINVAL) << bad;
  }
  EXPECT_EQ(ParseMbps("100000000000000P").error().code(), ERANGE);
}

TEST(FormatBytesTest, Cases) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(4 * kMiB), "4 MiB");
  EXPECT_EQ(FormatBytes(3 * kGiB / 2), "1.5 GiB");
  EXPECT_EQ(FormatBytes(UINT64_MAX), "16.0 EiB");
}

}  // namespace
}  // namespace tierfs
