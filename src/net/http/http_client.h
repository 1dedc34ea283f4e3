// HttpClient: blocking HTTP/1.1 requests over libcurl for the object-store backends.
//
// One client owns a pool of curl easy handles. A request borrows a handle and gives it back,
// so the handle's kept-alive connections are reused by later requests to the same host (what
// makes small-object workloads fast); the DNS cache and TLS sessions are shared by all the
// handles through a curl share object. There are no retries here: one Do() is one attempt
// (retrying belongs to a wrapper above the object store, STYLE.md practice 9).
//
// https uses the system CA store (libcurl's default bundle on Debian,
// /etc/ssl/certs/ca-certificates.crt) unless HttpOptions::ca_file names another.
//
// Errors (Status errno) of Do(): ETIMEDOUT the connect or total timeout expired;
// ECONNREFUSED nobody listens on the host's port; EHOSTUNREACH the host does not resolve or
// cannot be reached; EINVAL a malformed URL; EFBIG the body exceeded
// HttpRequest::max_response_bytes; EIO any other transport failure (TLS, protocol).
// Every message names the method and host:port. An HTTP error status (4xx, 5xx) is not an
// error here: it comes back as a response for the caller to interpret.
//
// Thread-safety: Do() may be called concurrently from any number of threads; each call uses
// its own easy handle.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace tierfs::net::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpOptions {
  int connect_timeout_ms = 10'000;  // TCP + TLS handshake (JuiceFS: 10 s dial)
  int timeout_ms = 60'000;          // whole request, default of --get-timeout/--put-timeout
  size_t max_idle_handles = 64;     // handles kept for reuse; more are freed after use
  std::string ca_file;              // "" = the system CA store
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // absolute and already percent-encoded
  // Sent as given, in order. "Name:" with an empty value suppresses a header curl would add
  // (curl's defaults Expect, Accept and Content-Type are suppressed already).
  Headers headers;
  std::string_view body;  // must stay valid during Do(); sent for any method when non-empty,
                          // and as Content-Length: 0 for PUT and POST when empty
  int64_t max_response_bytes = -1;  // -1 = unlimited; a longer body fails with EFBIG
  int timeout_ms = 0;               // 0 = HttpOptions::timeout_ms
};

struct HttpResponse {
  int status = 0;  // 200, 404, ...
  Headers headers;  // names lower-cased, values trimmed, in arrival order (final response only)
  std::string body;

  // The value of the first header named `lower_name` (lower case), or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `req` and waits for the whole response (see the file comment for errors).
  Result<HttpResponse> Do(const HttpRequest& req);

  const HttpOptions& options() const { return options_; }

 private:
  struct Share;
  void* Borrow();
  void Return(void* handle);

  HttpOptions options_;
  std::unique_ptr<Share> share_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, kept as void* so curl.h stays out of this header
};

}  // namespace tierfs::net::http
