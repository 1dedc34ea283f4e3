// Stream: a byte stream to one server over TCP (TCP_NODELAY, keep-alive) or a unix socket,
// optionally TLS (OpenSSL). The socket is non-blocking; waits are poll(2) with a timeout.
//
// Errors: EIO (refused, reset, closed by the peer, shut down), ETIMEDOUT (dial/read/write
// timeout), EHOSTUNREACH (name not resolved), EPROTO (TLS handshake or verification failed).
// Thread-safety: one thread may Read while another Writes (TLS calls are serialised inside);
// Shutdown() may be called from any thread and makes blocked calls fail.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "net/redis/client.h"
#include "util/status.h"

namespace tierfs::net::redis {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string unix_path;  // when set, host/port are unused
  // "host:port" or the socket path, for messages.
  std::string ToString() const;
};

// "h:p" / "[v6]:p" -> Endpoint; EINVAL when malformed.
Result<Endpoint> ParseHostPort(const std::string& hp);

class Stream {
 public:
  // REQUIRES: timeout_ms > 0.
  static Result<std::unique_ptr<Stream>> Dial(const Endpoint& ep, const TlsOptions& tls,
                                              int timeout_ms);
  virtual ~Stream();

  // Some bytes (> 0) into buf, waiting up to timeout_ms (< 0: forever).
  virtual Result<size_t> Read(char* buf, size_t len, int timeout_ms) = 0;
  // All of data within timeout_ms; *syscalls counts the send(2)/SSL_write calls made.
  virtual Status Write(std::string_view data, int timeout_ms, uint64_t* syscalls) = 0;
  // Wakes and fails blocked Read/Write calls, now and later. The fd stays open until destruction.
  void Shutdown();

 protected:
  explicit Stream(int fd) : fd_(fd) {}
  // Waits for `events` (POLLIN/POLLOUT) up to timeout_ms: OK, ETIMEDOUT or EIO.
  Status Wait(short events, int timeout_ms);
  int fd_;
};

}  // namespace tierfs::net::redis
