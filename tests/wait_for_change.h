// WaitForChange: waits until `pred` holds, re-checking it each time a file in `dir` changes
// (inotify), for `limit` at most. For effects of another process that show only in files (a
// juicefs client writing the SQLite database): woken by the change itself, never by a timer.
#pragma once

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>

namespace tierfs::testing {

inline bool WaitForChange(const std::string& dir, const std::function<bool()>& pred,
                          std::chrono::milliseconds limit) {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return pred();
  ::inotify_add_watch(fd, dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO);
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool ok = pred();  // checked after the watch exists: no change can slip between the two
  while (!ok) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) > 0) {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    }
    ok = pred();
  }
  ::close(fd);
  return ok;
}

}  // namespace tierfs::testing
