// RedisServer: a real redis-server for tests, started on a free 127.0.0.1 port in a temporary
// directory (no persistence) and stopped by pid. Readiness is polled (connect + PING), never
// slept for. The child dies with the test process (PR_SET_PDEATHSIG).
// Thread-safety: one test thread drives it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "util/status.h"

namespace tierfs::testing {

class RedisServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/redis-server";

  RedisServer() = default;
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer() {
    Stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  static bool Available() { return ::access(kBinary, X_OK) == 0; }

  // Starts the server with `extra` arguments (e.g. {"--requirepass", "pw"}) on a free port.
  Status Start(std::vector<std::string> extra = {}) {
    RETURN_IF_ERROR(Prepare());
    args_ = {kBinary, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", dir_};
    args_.insert(args_.end(), extra.begin(), extra.end());
    return Spawn();
  }
  // Starts a Sentinel (redis-server --sentinel) that monitors `master_name` at master_port.
  Status StartSentinel(const std::string& master_name, int master_port) {
    RETURN_IF_ERROR(Prepare());
    std::string conf = dir_ + "/sentinel.conf";
    std::ofstream(conf) << "sentinel monitor " << master_name << " 127.0.0.1 " << master_port
                        << " 1\n";
    args_ = {kBinary, conf, "--sentinel", "--port", std::to_string(port_), "--bind", "127.0.0.1",
             "--dir", dir_};
    return Spawn();
  }
  // Kills the server (SIGKILL: no goodbye to clients) and reaps it. Idempotent.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);  // kills a stopped process too; no SIGCONT: it would answer first
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  // Stop() then Start() with the same port and arguments (all data is lost).
  Status Restart() {
    Stop();
    return Spawn();
  }
  // SIGSTOP / SIGCONT: the server stops answering but keeps its connections. Pause() returns
  // once the child has stopped, Resume() once it runs again (waitpid WUNTRACED / WCONTINUED).
  void Pause() {
    ::kill(pid_, SIGSTOP);
    int st;
    ::waitpid(pid_, &st, WUNTRACED);  // our child: returns when it has stopped
  }
  void Resume() {
    ::kill(pid_, SIGCONT);
    int st;
    ::waitpid(pid_, &st, WCONTINUED);
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  // The server's log, for failure messages.
  std::string Log() const {
    std::ifstream f(dir_ + "/redis.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  // A port nobody listens on now (bind port 0, read it, close).
  static Result<int> FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      ::close(fd);
      return Err(errno, "binding port 0");
    }
    ::close(fd);
    return int(ntohs(sa.sin_port));
  }

 private:
  // A temporary directory and a free port, once.
  Status Prepare() {
    if (dir_.empty()) {
      char tmpl[] = "/tmp/tierfs-redis-XXXXXX";
      if (!::mkdtemp(tmpl)) return Status(errno, "mkdtemp");
      dir_ = tmpl;
    }
    if (port_ == 0) {
      auto p = FreePort();
      if (!p) return p.error();
      port_ = *p;
    }
    return Status();
  }

  // Starts the server with `--supervised systemd` and a notify socket of our own: redis-server
  // sends READY=1 there once it accepts connections (the sd_notify protocol), so readiness is
  // an event we wait for, not something polled.
  Status Spawn() {
    std::vector<std::string> args = args_;
    args.insert(args.end(), {"--supervised", "systemd"});
    std::string log = dir_ + "/redis.log";
    std::string sock = dir_ + "/notify.sock";
    ::unlink(sock.c_str());
    int nfd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
    if (nfd < 0 || ::bind(nfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      if (nfd >= 0) ::close(nfd);
      return Status(errno, "notify socket " + sock);
    }
    auto pid = SpawnChild(args, log, {{"NOTIFY_SOCKET", sock}});
    if (!pid) {
      ::close(nfd);
      return pid.error();
    }
    pid_ = *pid;
    Status st = WaitReady(nfd);
    ::close(nfd);
    return st;
  }

  // Waits for READY=1 on the notify socket (or the server's exit), 20 s at most.
  Status WaitReady(int nfd) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{nfd, POLLIN, 0};
      // Wakes at the latest every 100 ms to notice a server that died before notifying.
      if (::poll(&p, 1, int(std::min<int64_t>(left.count(), 100))) > 0) {
        char buf[512];
        ssize_t n = ::recv(nfd, buf, sizeof buf - 1, 0);
        if (n > 0 && std::string_view(buf, size_t(n)).find("READY=1") != std::string_view::npos) return Status();
        continue;
      }
      int wst;
      if (::waitpid(pid_, &wst, WNOHANG) == pid_) {
        pid_ = -1;
        return Status(EIO, "redis-server exited: " + Log());
      }
    }
    Stop();
    return Status(ETIMEDOUT, "redis-server did not come up: " + Log());
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::string> args_;
};

}  // namespace tierfs::testing

// The Redis tests need redis-server (scripts/install-deps.sh installs it): without it they fail
// with the install hint; they are never skipped.
#define TIERFS_REQUIRE_REDIS()                                                                 \
  do {                                                                                        \
    if (!::tierfs::testing::RedisServer::Available())                                         \
      FAIL() << "redis-server not installed (bash scripts/install-deps.sh, or apt-get install " \
                "redis-server)";                                                              \
  } while (0)
