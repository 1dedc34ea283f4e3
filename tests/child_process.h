// SpawnChild: fork + exec of a test server (redis-server, minio) with its stdout and stderr
// appended to a log file and extra environment variables. The child dies with the test process
// (PR_SET_PDEATHSIG), so a crashed test leaves no server behind; the caller stops it by pid.
// Thread-safety: call from one test thread.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace tierfs::testing {

// argv[0] is the binary's path. Returns the child's pid.
inline Result<pid_t> SpawnChild(std::vector<std::string> argv, const std::string& log,
                                const std::vector<std::pair<std::string, std::string>>& env = {}) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Err(errno, "fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace tierfs::testing
