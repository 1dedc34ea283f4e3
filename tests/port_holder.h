// PortHolder: a TCP socket listening on a free 127.0.0.1 port that never accepts. The port is
// taken (as another process would take it), and the kernel completes connections to it into
// the backlog, so a client that sends a request there waits for an answer that never comes:
// what a hung server looks like. ClosedPort() is a port nobody listens on.
// Thread-safety: one test thread owns it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tierfs::testing {

class PortHolder {
 public:
  PortHolder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~PortHolder() { ::close(fd_); }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;

  bool ok() const { return ok_; }  // bound and listening
  int port() const { return port_; }
  // A port that was free a moment ago; nobody listens there once the holder is gone.
  static int ClosedPort() { return PortHolder().port(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
};

}  // namespace tierfs::testing
