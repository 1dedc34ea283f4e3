#include "net/redis/stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>

namespace tierfs::net::redis {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : int(ms);
}

Status Errno(const std::string& what) { return Status(EIO, what + ": " + std::strerror(errno)); }

class PlainStream : public Stream {
 public:
  explicit PlainStream(int fd) : Stream(fd) {}

  Result<size_t> Read(char* buf, size_t len, int timeout_ms) override {
    for (;;) {
      ssize_t n = ::recv(fd_, buf, len, 0);
      if (n > 0) return size_t(n);
      if (n == 0) return Err(EIO, "connection closed by redis");
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Err(Errno("recv"));
      RETURN_IF_ERROR(Wait(POLLIN, timeout_ms));
    }
  }

  Status Write(std::string_view data, int timeout_ms, uint64_t* syscalls) override {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!data.empty()) {
      ++*syscalls;
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Errno("send");
      RETURN_IF_ERROR(Wait(POLLOUT, RemainingMs(deadline)));
    }
    return Status();
  }
};

// OpenSSL writes with write(2), which raises SIGPIPE on a socket the peer closed. A library
// must not change the process's signal handling, so SIGPIPE is blocked in this thread around
// each TLS call and a SIGPIPE the call raised is discarded (libcurl does the same).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE)) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_;
};

std::string SslError(const char* what) {
  char buf[256];
  unsigned long e = ERR_get_error();
  if (e == 0) return what;
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

class TlsStream : public Stream {
 public:
  TlsStream(int fd, SSL_CTX* ctx, SSL* ssl) : Stream(fd), ctx_(ctx), ssl_(ssl) {}
  ~TlsStream() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // Runs the handshake within timeout_ms.
  Status Handshake(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      SigpipeBlock no_sigpipe;
      int rc = SSL_connect(ssl_);
      if (rc == 1) return Status();
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, RemainingMs(deadline)));
        continue;
      }
      return Status(EPROTO, SslError("TLS handshake with redis failed"));
    }
  }

  Result<size_t> Read(char* buf, size_t len, int timeout_ms) override {
    for (;;) {
      int rc, err;
      {
        std::lock_guard lock(mu_);
        SigpipeBlock no_sigpipe;
        rc = SSL_read(ssl_, buf, int(std::min<size_t>(len, 1 << 30)));
        err = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
      }
      if (rc > 0) return size_t(rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, timeout_ms));
        continue;
      }
      if (err == SSL_ERROR_ZERO_RETURN) return Err(EIO, "TLS connection closed by redis");
      return Err(EIO, SslError("TLS read from redis failed"));
    }
  }

  Status Write(std::string_view data, int timeout_ms, uint64_t* syscalls) override {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!data.empty()) {
      int rc, err;
      {
        std::lock_guard lock(mu_);
        SigpipeBlock no_sigpipe;
        ++*syscalls;
        rc = SSL_write(ssl_, data.data(), int(std::min<size_t>(data.size(), 1 << 30)));
        err = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
      }
      if (rc > 0) {
        data.remove_prefix(size_t(rc));
        continue;
      }
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, RemainingMs(deadline)));
        continue;
      }
      return Status(EIO, SslError("TLS write to redis failed"));
    }
    return Status();
  }

 private:
  std::mutex mu_;  // an SSL object must not be used by two threads at once
  SSL_CTX* ctx_;
  SSL* ssl_;
};

// Connects the non-blocking socket `fd` to `addr` within timeout_ms.
Status ConnectFd(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
  if (::connect(fd, addr, len) == 0) return Status();
  if (errno != EINPROGRESS && errno != EAGAIN) return Errno("connect");
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do rc = ::poll(&p, 1, timeout_ms); while (rc < 0 && errno == EINTR);
  if (rc == 0) return Status(ETIMEDOUT, "connect timed out");
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err != 0) return Status(EIO, std::string("connect: ") + std::strerror(err));
  return Status();
}

Result<int> DialUnix(const std::string& path, int timeout_ms) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Err(EINVAL, "unix socket path too long: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Err(Errno("socket"));
  if (Status s = ConnectFd(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa, timeout_ms); !s.ok()) {
    ::close(fd);
    return Err(s.code(), "redis at " + path + ": " + s.message());
  }
  return fd;
}

Result<int> DialTcp(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string where = host + ":" + std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    return Err(EHOSTUNREACH, "redis at " + where + ": " + gai_strerror(rc));
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Status last(EIO, "no address");
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    last = ConnectFd(fd, ai->ai_addr, ai->ai_addrlen, std::max(1, RemainingMs(deadline)));
    if (last.ok()) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      ::freeaddrinfo(res);
      return fd;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Err(last.code(), "redis at " + where + ": " + last.message());
}

Result<SSL_CTX*> MakeTlsContext(const TlsOptions& tls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Err(EPROTO, SslError("SSL_CTX_new"));
  auto fail = [&](const char* what) {
    SSL_CTX_free(ctx);
    return Err(EINVAL, SslError(what));
  };
  if (tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) != 1
                          : SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1)
    return fail("loading the TLS CA certificates failed");
  if (!tls.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1)
    return fail("loading tls-cert-file failed");
  if (!tls.key_file.empty() &&
      SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("loading tls-key-file failed");
  SSL_CTX_set_verify(ctx, tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

Result<std::unique_ptr<Stream>> WrapTls(int fd, const Endpoint& ep, const TlsOptions& tls,
                                        int timeout_ms) {
  auto ctx = MakeTlsContext(tls);
  if (!ctx) {
    ::close(fd);
    return Err(ctx.error());
  }
  SSL* ssl = SSL_new(*ctx);
  const std::string& name = tls.server_name.empty() ? ep.host : tls.server_name;
  SSL_set_fd(ssl, fd);
  if (!name.empty()) {
    SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!tls.insecure_skip_verify) X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), name.c_str(), 0);
  }
  auto s = std::make_unique<TlsStream>(fd, *ctx, ssl);
  if (Status st = s->Handshake(timeout_ms); !st.ok())
    return Err(st.code(), "redis at " + ep.ToString() + ": " + st.message());
  return std::unique_ptr<Stream>(std::move(s));
}

}  // namespace

std::string Endpoint::ToString() const {
  return unix_path.empty() ? host + ":" + std::to_string(port) : unix_path;
}

Result<std::unique_ptr<Stream>> Stream::Dial(const Endpoint& ep, const TlsOptions& tls,
                                             int timeout_ms) {
  Result<int> fd = ep.unix_path.empty() ? DialTcp(ep.host, ep.port, timeout_ms)
                                        : DialUnix(ep.unix_path, timeout_ms);
  if (!fd) return Err(fd.error());
  if (tls.enabled) return WrapTls(*fd, ep, tls, timeout_ms);
  return std::unique_ptr<Stream>(std::make_unique<PlainStream>(*fd));
}

Stream::~Stream() { ::close(fd_); }

void Stream::Shutdown() { ::shutdown(fd_, SHUT_RDWR); }

Status Stream::Wait(short events, int timeout_ms) {
  pollfd p{fd_, events, 0};
  int rc;
  do rc = ::poll(&p, 1, timeout_ms); while (rc < 0 && errno == EINTR);
  if (rc < 0) return Errno("poll");
  if (rc == 0) return Status(ETIMEDOUT, "no reply from redis in time");
  if (p.revents & (POLLERR | POLLNVAL)) return Status(EIO, "connection to redis broken");
  return Status();  // POLLHUP: the next read sees EOF or the remaining bytes
}

Result<Endpoint> ParseHostPort(const std::string& hp) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon + 1 == hp.size())
    return Err(EINVAL, "redis: address without a port: " + hp);
  Endpoint ep;
  ep.host = hp.substr(0, colon);
  if (ep.host.size() >= 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  try {
    ep.port = std::stoi(hp.substr(colon + 1));
  } catch (...) {
    return Err(EINVAL, "redis: bad port in " + hp);
  }
  return ep;
}

}  // namespace tierfs::net::redis
