// The metrics HTTP endpoint (`--metrics ADDR`, JuiceFS default 127.0.0.1:9567):
//   GET /metrics  -> 200, Content-Type "text/plain; version=0.0.4", Registry::PrometheusText()
//   anything else -> 404
//
// ADDR is "host:port", "[v6addr]:port" or ":port" (all interfaces). Port 0 asks the kernel for
// a free port. When the port is taken, Start() follows Options::fallback:
//   kNone       fail with EADDRINUSE;
//   kNextPorts  try port+1 .. port+10, then port 0 (any free port), like JuiceFS, which moves to
//               a random port rather than failing the mount. port() tells where it ended up.
// The socket is bound with SO_REUSEADDR but not SO_REUSEPORT, so a second process cannot share
// (and silently steal half of the scrapes of) a port that is in use.
//
// Ownership: borrows the Registry, which must outlive the server.
// Thread-safety: Start/Stop from one thread; requests are served on a thread of the server's.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "metrics/registry.h"
#include "util/status.h"

namespace httplib {
class Server;
}

namespace tierfs::metrics {

class HttpServer {
 public:
  enum class Fallback { kNone, kNextPorts };
  struct Options {
    std::string addr = "127.0.0.1:9567";
    Fallback fallback = Fallback::kNone;
  };

  HttpServer(Registry& registry, Options options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on a background thread. Errors: EINVAL for a malformed ADDR or a
  // host that does not resolve, EADDRINUSE when the port (and, with kNextPorts, every
  // fallback) is taken, EALREADY when already started; other bind errors as their errno.
  // REQUIRES: not started.
  Status Start();
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();
  // The bound port; 0 before Start() succeeded.
  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  Status Bind(int port);
  Registry& registry_;
  Options options_;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> loop_done_{false};  // the serving thread has left its accept loop
};

// Splits "host:port", "[v6]:port" or ":port" (host "0.0.0.0"). EINVAL with the reason on error.
Result<std::pair<std::string, int>> ParseListenAddr(const std::string& addr);

}  // namespace tierfs::metrics
