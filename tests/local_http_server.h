// LocalHttpServer: a cpp-httplib server of the test's own on a free 127.0.0.1 port, serving
// from its own thread until destroyed. Route handlers are added through server() before
// Start(). Start() returns once the accept loop runs, so that the destructor's stop() cannot
// come before it (httplib's stop() does nothing to a server that is not running yet, and the
// thread would then listen forever).
// Thread-safety: construct, Start and destroy from one test thread; the handlers run on the
// server's threads.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace tierfs::testing {

class LocalHttpServer {
 public:
  LocalHttpServer() = default;
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;
  ~LocalHttpServer() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  httplib::Server& server() { return server_; }

  // Binds a free port and serves; false when it cannot bind or the loop does not start
  // within 5 s.
  bool Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_.is_running()) {  // the loop sets the flag first thing: a short spin
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tierfs::testing
