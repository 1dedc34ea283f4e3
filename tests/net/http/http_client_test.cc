// HttpClient (src/net/http/http_client.h) against a real HTTP server in the test process
// (cpp-httplib on a free 127.0.0.1 port), a listener that never answers (PortHolder), and a
// closed port.
#include "net/http/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/tcp.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "port_holder.h"

namespace tierfs::net::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

using ::tierfs::testing::PortHolder;

HttpRequest Req(std::string method, std::string url, std::string_view body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = body;
  return r;
}

HttpOptions Timeouts(int connect_ms, int total_ms) {
  HttpOptions o;
  o.connect_timeout_ms = connect_ms;
  o.timeout_ms = total_ms;
  return o;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Reply-Header", "  padded  ");
      res.set_content("hello " + req.get_header_value("X-Name"), "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(1000, 'b'), "application/octet-stream");
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
    });
    server_.Get("/port", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ports_.insert(req.remote_port);
      res.set_content("ok", "text/plain");
    });
    auto echo = [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Method", req.method);
      res.set_header("X-Length", req.get_header_value("Content-Length"));
      res.set_header("X-Had-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Had-Type", req.has_header("Content-Type") ? "yes" : "no");
      res.set_content(req.body, "application/octet-stream");
    };
    server_.Put("/echo", echo);
    server_.Post("/echo", echo);
    server_.Delete("/echo", echo);
    server_.set_keep_alive_max_count(1000);  // httplib closes after 5 requests by default
    // Without TCP_NODELAY httplib's separate header and body writes wait for the client's
    // delayed ACK: 40 ms a request. Accepted sockets inherit it from the listener.
    server_.set_socket_options([](socket_t fd) {
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");  // listening from here on
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::set<int> ports_;
};

TEST_F(HttpClientTest, GetWithHeaders) {
  HttpClient client;
  HttpRequest req = Req("GET", Url("/hello"));
  req.headers = {{"X-Name", "tierfs"}};
  auto r = client.Do(req);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello tierfs");
  EXPECT_EQ(r->Header("x-reply-header"), "padded");  // lower-cased name, trimmed value
  EXPECT_EQ(r->Header("content-length"), "12");
  EXPECT_EQ(r->Header("no-such-header"), "");
}

TEST_F(HttpClientTest, BodiesAndMethods) {
  HttpClient client;
  std::string body(1 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = char(i * 7);
  for (const char* method : {"PUT", "POST"}) {
    auto r = client.Do(Req(method, Url("/echo"), body));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->Header("x-method"), method);
    EXPECT_EQ(r->body, body);
    // No 100-continue round trip and no form content type made up by curl.
    EXPECT_EQ(r->Header("x-had-expect"), "no");
    EXPECT_EQ(r->Header("x-had-type"), "no");
  }
  auto empty = client.Do(Req("PUT", Url("/echo")));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->Header("x-length"), "0");
  auto del = client.Do(Req("DELETE", Url("/echo")));
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->Header("x-method"), "DELETE");
  auto head = client.Do(Req("HEAD", Url("/big")));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "1000");
  EXPECT_EQ(head->body, "");
}

TEST_F(HttpClientTest, ErrorStatusIsAResponse) {
  HttpClient client;
  auto r = client.Do(Req("GET", Url("/fail")));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("SlowDown"), std::string::npos);
  auto missing = client.Do(Req("GET", Url("/nope")));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpClientTest, ConnectionsAreReused) {
  HttpClient client;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.Do(Req("GET", Url("/port"))));
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(ports_.size(), 1u) << "sequential requests share one connection";
    ports_.clear();
  }
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = client.Do(Req("GET", Url("/port")));
        if (!r || r->status != 200) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  std::lock_guard lock(mu_);
  EXPECT_LE(ports_.size(), size_t{kThreads}) << "at most one connection per concurrent request";
}

TEST_F(HttpClientTest, ResponseLimit) {
  HttpClient client;
  HttpRequest req = Req("GET", Url("/big"));
  req.max_response_bytes = 100;
  auto r = client.Do(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EFBIG);
  req.max_response_bytes = 1000;
  auto ok = client.Do(req);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->body.size(), 1000u);
}

TEST(HttpClientErrorsTest, TimeoutNamesTheHost) {
  PortHolder silent;
  ASSERT_TRUE(silent.ok());
  HttpClient client(Timeouts(1000, 300));
  std::string host = "127.0.0.1:" + std::to_string(silent.port());
  auto start = steady_clock::now();
  auto r = client.Do(Req("GET", "http://" + host + "/x"));
  auto took = steady_clock::now() - start;
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ETIMEDOUT) << r.error().ToString();
  EXPECT_NE(r.error().message().find("GET " + host), std::string::npos) << r.error().message();
  EXPECT_GE(took, milliseconds(250));  // curl may fire a little early
  EXPECT_LT(took, milliseconds(3000));
  // A per-request timeout overrides the client's.
  start = steady_clock::now();
  HttpRequest quick = Req("GET", "http://" + host + "/x");
  quick.timeout_ms = 100;
  r = client.Do(quick);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_LT(steady_clock::now() - start, milliseconds(290));
}

TEST(HttpClientErrorsTest, RefusedUnresolvableMalformed) {
  HttpClient client(Timeouts(2000, 5000));
  std::string host = "127.0.0.1:" + std::to_string(PortHolder::ClosedPort());
  auto r = client.Do(Req("PUT", "http://" + host + "/b/k", "x"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ECONNREFUSED) << r.error().ToString();
  EXPECT_NE(r.error().message().find("PUT " + host), std::string::npos) << r.error().message();

  r = client.Do(Req("GET", "http://no-such-host.invalid/b"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EHOSTUNREACH) << r.error().ToString();
  EXPECT_NE(r.error().message().find("no-such-host.invalid"), std::string::npos);

  r = client.Do(Req("GET", "htp://x/"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EINVAL) << r.error().ToString();
}

}  // namespace
}  // namespace tierfs::net::http
