#include "util/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace tierfs {
namespace {

TEST(LogTest, JuiceFsLinePattern) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = MakeLogger("tierfs", sink);
  logger->set_level(spdlog::level::debug);
  logger->log(spdlog::source_loc{"/src/vfs/mount.cc", 88, "f"}, spdlog::level::info,
              "mounted volume {}", "myjfs");
  logger->warn("no source");
  std::string text = out.str();
  std::regex line1(
      R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} tierfs\[)" + std::to_string(getpid()) +
      R"(\] <INFO>: mounted volume myjfs \[mount\.cc:88\]\n)");
  std::regex line2(R"(.* <WARNING>: no source\n)");
  auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_TRUE(std::regex_match(text.substr(0, nl + 1), line1)) << text;
  EXPECT_TRUE(std::regex_match(text.substr(nl + 1), line2)) << text;
}

TEST(LogTest, ParseLevel) {
  EXPECT_EQ(ParseLogLevel("debug").value(), spdlog::level::debug);
  EXPECT_EQ(ParseLogLevel("warning").value(), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("fatal").value(), spdlog::level::critical);
  EXPECT_EQ(ParseLogLevel("loud").error().code(), EINVAL);
}

TEST(LogTest, SetupToFileAppliesLevelAndMacrosAddSource) {
  std::string path = ::testing::TempDir() + "tierfs_log_test_" + std::to_string(getpid());
  std::remove(path.c_str());
  auto previous = spdlog::default_logger();
  auto logger = SetupLogging({.level = "info", .file = path, .program = "tierfs"});
  ASSERT_TRUE(logger.has_value()) << logger.error().ToString();
  TIERFS_LOG_DEBUG("hidden {}", 1);
  TIERFS_LOG_ERROR("shown {}", 2);
  (*logger)->flush();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str().find("hidden"), std::string::npos);
  EXPECT_NE(ss.str().find("<ERROR>: shown 2 [log_test.cc:"), std::string::npos) << ss.str();
  spdlog::set_default_logger(previous);
  std::remove(path.c_str());
}

TEST(LogTest, SetupErrors) {
  LogOptions bad_level;
  bad_level.level = "nope";
  EXPECT_EQ(SetupLogging(bad_level).error().code(), EINVAL);
  LogOptions bad_file;
  bad_file.file = "/nonexistent-dir/x.log";
  EXPECT_EQ(SetupLogging(bad_file).error().code(), ENOENT);
}

}  // namespace
}  // namespace tierfs
