// PollReady: waits until a test server we started answers, for servers that announce nothing
// we could wait on (Azurite, fake-gcs-server): `ready()` is asked again every 20 ms until it
// holds, the child exits (then its log is the error), or `limit` passes (then the child is
// killed). A refused connection returns at once, so the poll costs ~20 ms past the moment the
// server listens.
// Thread-safety: call from one test thread.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "util/status.h"

namespace tierfs::testing {

inline Status PollReady(pid_t& pid, const std::string& name, std::chrono::seconds limit,
                        const std::function<bool()>& ready,
                        const std::function<std::string()>& log) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return Status();
    int st;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      pid = -1;
      return Status(EIO, name + " exited during startup: " + log());
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20));  // a poll interval, not a wait for an event
  }
  ::kill(pid, SIGKILL);
  int st;
  ::waitpid(pid, &st, 0);
  pid = -1;
  return Status(ETIMEDOUT,
                name + " did not answer within " + std::to_string(limit.count()) + " s: " + log());
}

}  // namespace tierfs::testing
