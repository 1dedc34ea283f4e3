// ServerProcess: the part every test-server helper shares (MinioServer, AzuriteServer,
// GcsServer): a fresh /tmp directory, the child started with SpawnChild (its output in
// <dir>/server.log), stopped by pid (SIGTERM, then waitpid), the directory removed at the end.
// Thread-safety: one test thread owns it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "child_process.h"
#include "util/status.h"

namespace tierfs::testing {

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    Stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // SIGTERM and reap. Idempotent.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the server printed.
  std::string Log() const {
    std::ifstream f(dir_ + "/server.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 protected:
  // Makes the directory (once; "/tmp/tierfs-<name>-XXXXXX").
  Status MakeDir(const std::string& name) {
    if (!dir_.empty()) return Status();
    std::string tmpl = "/tmp/tierfs-" + name + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return Status(errno, "mkdtemp " + tmpl);
    dir_ = tmpl;
    return Status();
  }
  Status Spawn(std::vector<std::string> argv,
               const std::vector<std::pair<std::string, std::string>>& env = {}) {
    ASSIGN_OR_RETURN(pid_, SpawnChild(std::move(argv), dir_ + "/server.log", env));
    return Status();
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tierfs::testing
