#include "net/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace tierfs::net::http {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "host:port" of an absolute URL, for error messages (user info dropped).
std::string Authority(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string_view auth = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
  if (size_t at = auth.rfind('@'); at != std::string_view::npos) auth.remove_prefix(at + 1);
  return std::string(auth);
}

bool HasHeader(const Headers& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return Lower(h.first) == lower_name; });
}

struct Transfer {
  HttpResponse resp;
  int64_t limit = -1;
  bool over_limit = false;
  bool head = false;  // HEAD: Content-Length describes a body that does not come
};

// The body buffer is allocated once at the announced length (appending 16 KiB at a time
// copied a 4 MiB block ~8 times over). Bounded by the request's limit and kMaxReserve, so a
// hostile Content-Length cannot make us allocate what will never arrive.
constexpr uint64_t kMaxReserve = 256ull << 20;

void ReserveBody(Transfer* t, std::string_view value) {
  if (t->head) return;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size()) return;
  if (t->limit >= 0) n = std::min<uint64_t>(n, uint64_t(t->limit));
  t->resp.body.reserve(std::min(n, kMaxReserve));
}

size_t OnBody(char* data, size_t size, size_t n, void* arg) {
  auto* t = static_cast<Transfer*>(arg);
  size_t len = size * n;
  if (t->limit >= 0 && t->resp.body.size() + len > static_cast<uint64_t>(t->limit)) {
    t->over_limit = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->resp.body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* arg) {
  auto* t = static_cast<Transfer*>(arg);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->resp.headers.clear();  // a new response (after "100 Continue" or a redirect)
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->resp.headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                 std::string(Trim(line.substr(colon + 1))));
    if (t->resp.headers.back().first == "content-length") ReserveBody(t, t->resp.headers.back().second);
  }
  return line.size();
}

// The errno for a failed transfer; see the contract in http_client.h.
int ErrnoOf(CURLcode rc, long os_errno, bool over_limit) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return EHOSTUNREACH;
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return ECONNREFUSED;
      if (os_errno == ETIMEDOUT) return ETIMEDOUT;
      return EHOSTUNREACH;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return EINVAL;
    case CURLE_WRITE_ERROR:
      return over_limit ? EFBIG : EIO;
    default:
      return EIO;
  }
}

}  // namespace

std::string_view HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

// The DNS cache and TLS sessions shared by all handles of one client. curl calls the lock
// functions from whichever thread uses a handle, one mutex per kind of shared data.
struct HttpClient::Share {
  CURLSH* sh = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

  Share() {
    sh = curl_share_init();
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, &Lock);
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, &Unlock);
    curl_share_setopt(sh, CURLSHOPT_USERDATA, this);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    // Not CURL_LOCK_DATA_CONNECT: libcurl documents sharing connections between concurrent
    // threads as unsupported. Each handle keeps its own connections instead.
  }
  ~Share() { curl_share_cleanup(sh); }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->locks[data].unlock();
  }
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = std::make_unique<Share>();
}

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Return(void* handle) {
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

Result<HttpResponse> HttpClient::Do(const HttpRequest& req) {
  std::string what = req.method + " " + Authority(req.url);
  CURL* h = static_cast<CURL*>(Borrow());
  if (h == nullptr) return Err(EIO, what + ": curl_easy_init failed");
  // Reset keeps the handle's live connections, which is the point of the pool.
  curl_easy_reset(h);

  Transfer t;
  t.limit = req.max_response_bytes;
  t.head = req.method == "HEAD";
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : req.headers) {
    std::string line = name + ":" + (value.empty() ? "" : " " + value);
    headers = curl_slist_append(headers, line.c_str());
  }
  for (const char* name : {"expect", "accept", "content-type"}) {
    if (!HasHeader(req.headers, name)) {
      std::string line = std::string(name) + ":";  // "Name:" removes curl's own header
      headers = curl_slist_append(headers, line.c_str());
    }
  }

  curl_easy_setopt(h, CURLOPT_SHARE, share_->sh);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(options_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   long(req.timeout_ms > 0 ? req.timeout_ms : options_.timeout_ms));
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  // Larger reads from the socket: fewer callbacks per block (curl's default is 16 KiB).
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, long(512 << 10));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET" || !req.body.empty()) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method == "PUT" || req.method == "POST") {
      // The body is sent from the caller's buffer without a copy.
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    }
  }

  CURLcode rc = curl_easy_perform(h);
  long os_errno = 0;
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  Return(h);

  if (rc != CURLE_OK) {
    int code = ErrnoOf(rc, os_errno, t.over_limit);
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    if (code == EFBIG) {
      detail = "response body larger than " + std::to_string(req.max_response_bytes) + " bytes";
    }
    return Err(code, what + ": " + detail);
  }
  t.resp.status = int(status);
  return std::move(t.resp);
}

}  // namespace tierfs::net::http
