// GcsServer: a real fake-gcs-server (github.com/fsouza/fake-gcs-server, a Cloud Storage
// JSON API emulator) for tests, started on a free 127.0.0.1 port with the in-memory backend
// and stopped by pid (SIGTERM, then waitpid). It checks no credentials at all (the bearer
// tokens of gcs_auth.h are checked by the test's own token endpoint, gcs_auth_test.cc).
// Readiness: its /_internal/healthcheck answers 200, polled until a deadline
// (tests/poll_ready.h). The child dies with the test process (PR_SET_PDEATHSIG);
// tests/server_process.h.
//
// scripts/install-deps.sh builds it (`go install github.com/fsouza/fake-gcs-server@latest`,
// kept in /root/go/bin). Without it the tests fail with that hint; they are never skipped.
//
// Shared() is one server per test binary, started on first use: each test makes its own
// bucket in it.
// Thread-safety: Start/Stop from one test thread; Shared() may be called from any.
#pragma once

#include <unistd.h>

#include <chrono>
#include <string>

#include "net/http/http_client.h"
#include "poll_ready.h"
#include "port_holder.h"
#include "server_process.h"
#include "shared_server.h"
#include "util/status.h"

namespace tierfs::testing {

class GcsServer : public ServerProcess {
 public:
  static constexpr const char* kBinary = "/root/go/bin/fake-gcs-server";
  static constexpr const char* kInstallHint =
      "fake-gcs-server not installed at /root/go/bin/fake-gcs-server (bash "
      "scripts/install-deps.sh, or /usr/local/go/bin/go install "
      "github.com/fsouza/fake-gcs-server@latest)";

  static bool Available() { return ::access(kBinary, X_OK) == 0; }
  static GcsServer* Shared(std::string* why = nullptr) { return SharedServer<GcsServer>(why); }

  // Starts fake-gcs-server on a free port and waits (30 s at most) until it answers.
  Status Start() {
    if (!Available()) return Status(ENOENT, kInstallHint);
    RETURN_IF_ERROR(MakeDir("fakegcs"));
    port_ = PortHolder().port();  // free a moment ago; the server binds it next
    std::string hostport = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {kBinary,
                                     "-scheme",
                                     "http",
                                     "-host",
                                     "127.0.0.1",
                                     "-port",
                                     std::to_string(port_),
                                     "-backend",
                                     "memory",
                                     "-public-host",
                                     hostport,
                                     "-external-url",
                                     endpoint(),
                                     "-log-level",
                                     "warn"};
    RETURN_IF_ERROR(Spawn(args));
    net::http::HttpOptions o;
    o.connect_timeout_ms = 1000;
    o.timeout_ms = 2000;
    net::http::HttpClient client(o);
    net::http::HttpRequest health;
    health.url = endpoint() + "/_internal/healthcheck";
    return PollReady(
        pid_, "fake-gcs-server", std::chrono::seconds(30),
        [&] {
          auto r = client.Do(health);
          return r && r->status == 200;
        },
        [&] { return Log(); });
  }

  // "http://127.0.0.1:PORT": the JSON API's endpoint.
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
};

}  // namespace tierfs::testing

#define TIERFS_REQUIRE_FAKE_GCS()                           \
  do {                                                      \
    if (!::tierfs::testing::GcsServer::Available())         \
      FAIL() << ::tierfs::testing::GcsServer::kInstallHint; \
  } while (0)
