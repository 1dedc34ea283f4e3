// Logging: spdlog set up once by the CLI, in JuiceFS's line format:
//   2026/11/22 03:56:03.376161 tierfs[3017] <INFO>: mounted volume myjfs [mount.cc:88]
// Levels as JuiceFS names them: TRACE, DEBUG, INFO, WARNING, ERROR, FATAL. The [file:line]
// suffix is there when the line comes from the TIERFS_LOG_* macros below.
//
// Thread-safety: SetupLogging is called once, before other threads log; the macros are safe
// from any thread. Log to stderr in the foreground, to a file (appended) for a daemon.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tierfs {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn/warning, error, fatal/critical, off
  std::string file;            // "" = stderr; else appended to, created 0644 if missing
  std::string program = "tierfs";
};

// EINVAL for an unknown level.
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view level);
// Replaces spdlog's default logger with one writing `options` and returns it. Errors: EINVAL
// for an unknown level; the errno of opening the file (EACCES, ENOENT...).
Result<std::shared_ptr<spdlog::logger>> SetupLogging(const LogOptions& options);
// The same pattern and level names on any sink (tests pass an ostream sink).
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& program, spdlog::sink_ptr sink);

}  // namespace tierfs

#define TIERFS_LOG(level, ...)                                                              \
  ::spdlog::default_logger_raw()->log(                                                      \
      ::spdlog::source_loc{__FILE__, __LINE__, static_cast<const char*>(__func__)}, level, \
      __VA_ARGS__)
#define TIERFS_LOG_TRACE(...) TIERFS_LOG(::spdlog::level::trace, __VA_ARGS__)
#define TIERFS_LOG_DEBUG(...) TIERFS_LOG(::spdlog::level::debug, __VA_ARGS__)
#define TIERFS_LOG_INFO(...) TIERFS_LOG(::spdlog::level::info, __VA_ARGS__)
#define TIERFS_LOG_WARN(...) TIERFS_LOG(::spdlog::level::warn, __VA_ARGS__)
#define TIERFS_LOG_ERROR(...) TIERFS_LOG(::spdlog::level::err, __VA_ARGS__)
#define TIERFS_LOG_FATAL(...) TIERFS_LOG(::spdlog::level::critical, __VA_ARGS__)
