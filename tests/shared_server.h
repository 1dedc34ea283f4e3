// SharedServer<Server>(): one test server per test binary (MinIO, Azurite, fake-gcs-server),
// started by its Start() on first use and destroyed (stopped) at exit, so that each test
// makes its own bucket in it instead of paying a server start. nullptr, with the reason in
// `why`, when it cannot start; a failed start is not tried again.
// Thread-safety: may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "util/status.h"

namespace tierfs::testing {

template <class Server>
Server* SharedServer(std::string* why) {
  static std::mutex mu;
  static std::unique_ptr<Server> server;
  static Status failure;
  std::lock_guard lock(mu);
  if (!server && failure.ok()) {
    auto s = std::make_unique<Server>();
    failure = s->Start();
    if (failure.ok()) server = std::move(s);
  }
  if (why != nullptr) *why = failure.ToString();
  return server.get();
}

}  // namespace tierfs::testing
