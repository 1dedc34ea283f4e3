#include "util/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tierfs {

namespace {

// %V: the level in JuiceFS's upper-case words.
class LevelWord : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view w;
    switch (msg.level) {
      case spdlog::level::trace:
        w = "TRACE";
        break;
      case spdlog::level::debug:
        w = "DEBUG";
        break;
      case spdlog::level::info:
        w = "INFO";
        break;
      case spdlog::level::warn:
        w = "WARNING";
        break;
      case spdlog::level::err:
        w = "ERROR";
        break;
      default:
        w = "FATAL";
    }
    dest.append(w.data(), w.data() + w.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelWord>();
  }
};

// %Q: " [file.cc:42]" when the message has a source location, else nothing.
class SourceSuffix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (msg.source.empty()) return;
    std::string_view file = msg.source.filename;
    if (auto slash = file.rfind('/'); slash != std::string_view::npos) {
      file.remove_prefix(slash + 1);
    }
    std::string s = " [" + std::string(file) + ":" + std::to_string(msg.source.line) + "]";
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SourceSuffix>();
  }
};

}  // namespace

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view level) {
  using L = spdlog::level::level_enum;
  if (level == "trace") return L::trace;
  if (level == "debug") return L::debug;
  if (level == "info") return L::info;
  if (level == "warn" || level == "warning") return L::warn;
  if (level == "error") return L::err;
  if (level == "fatal" || level == "critical") return L::critical;
  if (level == "off") return L::off;
  return Err(EINVAL, "unknown log level '" + std::string(level) +
                         "' (trace, debug, info, warn, error, fatal, off)");
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& program, spdlog::sink_ptr sink) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelWord>('V').add_flag<SourceSuffix>('Q');
  // %P is the pid; %f the microseconds.
  formatter->set_pattern("%Y/%m/%d %H:%M:%S.%f " + program + "[%P] <%V>: %v%Q");
  sink->set_formatter(std::move(formatter));
  return std::make_shared<spdlog::logger>(program, std::move(sink));
}

Result<std::shared_ptr<spdlog::logger>> SetupLogging(const LogOptions& options) {
  ASSIGN_OR_RETURN(auto level, ParseLogLevel(options.level));
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    // Open once ourselves to report the errno; spdlog only throws a message.
    std::FILE* f = std::fopen(options.file.c_str(), "a");
    if (f == nullptr) {
      int err = errno;
      return Err(err, "cannot open log file " + options.file + ": " + std::strerror(err));
    }
    std::fclose(f);
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false);
    } catch (const spdlog::spdlog_ex& e) {
      return Err(EIO, "cannot open log file " + options.file + ": " + e.what());
    }
  }
  auto logger = MakeLogger(options.program, std::move(sink));
  logger->set_level(level);
  // Warnings and worse reach the file even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace tierfs
