#include "metrics/http_server.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace tierfs::metrics {

namespace {

constexpr int kFallbackPorts = 10;  // JuiceFS-like: a few neighbours before any free port
constexpr const char* kContentType = "text/plain; version=0.0.4";
// Scrapes come every few seconds from one or two collectors; httplib's default of 8+ threads
// per mount would be idle stacks.
constexpr size_t kServerThreads = 2;

// httplib's default sets SO_REUSEPORT, which lets a second mount bind the same port and take
// half the scrapes. SO_REUSEADDR alone still allows a quick restart over TIME_WAIT sockets.
void ReuseAddrOnly(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

Result<std::pair<std::string, int>> ParseListenAddr(const std::string& addr) {
  std::string host;
  std::string port;
  if (!addr.empty() && addr[0] == '[') {
    auto close = addr.find(']');
    if (close == std::string::npos || close + 1 >= addr.size() || addr[close + 1] != ':') {
      return Err(EINVAL, "metrics address '" + addr + "': expected [IPv6]:PORT");
    }
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) {
      return Err(EINVAL, "metrics address '" + addr + "': expected HOST:PORT");
    }
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Err(EINVAL, "metrics address '" + addr + "': put an IPv6 host in brackets");
    }
  }
  if (host.empty()) host = "0.0.0.0";
  int p = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 0 ||
      p > 65535) {
    return Err(EINVAL, "metrics address '" + addr + "': port '" + port + "' is not 0..65535");
  }
  return std::make_pair(host, p);
}

HttpServer::HttpServer(Registry& registry, Options options)
    : registry_(registry), options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Bind(int port) {
  errno = 0;
  if (port == 0) {
    int p = server_->bind_to_any_port(host_);
    if (p > 0) {
      port_ = p;
      return Status::Ok();
    }
  } else if (server_->bind_to_port(host_, port)) {
    port_ = port;
    return Status::Ok();
  }
  int err = errno != 0 ? errno : EADDRINUSE;
  return Status(err, "metrics: cannot listen on " + host_ + ":" + std::to_string(port) + ": " +
                         (err == EADDRINUSE ? "address already in use" : std::strerror(err)));
}

Status HttpServer::Start() {
  if (server_) return Status(EALREADY, "metrics server already started on port " +
                                           std::to_string(port_));
  ASSIGN_OR_RETURN(auto hp, ParseListenAddr(options_.addr));
  host_ = hp.first;
  int want = hp.second;

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), nullptr, &hints, &res); rc != 0) {
    return Status(EINVAL, "metrics address '" + options_.addr + "': cannot resolve '" + host_ +
                              "': " + gai_strerror(rc));
  }
  freeaddrinfo(res);

  server_ = std::make_unique<httplib::Server>();
  server_->set_socket_options(ReuseAddrOnly);
  server_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& resp) {
    resp.set_content(registry_.PrometheusText(), kContentType);
  });

  Status st = Bind(want);
  if (!st.ok() && st.code() == EADDRINUSE && want != 0 &&
      options_.fallback == Fallback::kNextPorts) {
    for (int p = want + 1; p <= want + kFallbackPorts && p <= 65535 && !st.ok(); ++p) {
      st = Bind(p);
      if (!st.ok() && st.code() != EADDRINUSE) break;
    }
    if (!st.ok() && st.code() == EADDRINUSE) st = Bind(0);
  }
  if (!st.ok()) {
    server_.reset();
    return st;
  }
  loop_done_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    loop_done_ = true;
  });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!server_) return;
  // httplib's stop() is a no-op until the loop has marked itself running: wait for that (or
  // for the loop to have ended on its own) so the join below cannot hang.
  while (!server_->is_running() && !loop_done_) std::this_thread::yield();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  port_ = 0;
}

}  // namespace tierfs::metrics
