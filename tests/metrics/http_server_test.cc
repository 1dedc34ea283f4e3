#include "metrics/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "port_holder.h"

namespace tierfs::metrics {
namespace {

using ::tierfs::testing::PortHolder;

TEST(ParseListenAddrTest, Forms) {
  auto a = ParseListenAddr("127.0.0.1:9567");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9567);
  auto b = ParseListenAddr(":9567");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->first, "0.0.0.0");
  auto c = ParseListenAddr("[::1]:0");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, "::1");
  EXPECT_EQ(c->second, 0);
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "h:70000", "h:-1", "h:12x", "::1:80",
                          "[::1]80", "[::1"}) {
    auto r = ParseListenAddr(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
  }
}

TEST(HttpServerTest, ServesMetrics) {
  Registry registry(Labels{{"vol_name", "v"}});
  registry.GetCounter("tierfs_fuse_ops_total", "ops", {{"method", "read"}})->Inc(7);
  HttpServer server(registry, {.addr = "127.0.0.1:0"});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_NE(res->body.find("tierfs_fuse_ops_total{method=\"read\",vol_name=\"v\"} 7\n"),
            std::string::npos);
  // Scrapes see live values.
  registry.GetCounter("tierfs_fuse_ops_total", "ops", {{"method", "read"}})->Inc();
  res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("} 8\n"), std::string::npos);

  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  EXPECT_EQ(server.Start().code(), EALREADY);
  server.Stop();
  server.Stop();  // idempotent
  EXPECT_EQ(server.port(), 0);
}

TEST(HttpServerTest, StopRightAfterStartDoesNotHang) {
  Registry registry;
  for (int i = 0; i < 20; ++i) {
    HttpServer server(registry, {.addr = "127.0.0.1:0"});
    ASSERT_TRUE(server.Start().ok());
    server.Stop();
  }
}

TEST(HttpServerTest, PortInUseFailsWithoutFallback) {
  PortHolder holder;
  Registry registry;
  HttpServer server(registry, {.addr = "127.0.0.1:" + std::to_string(holder.port())});
  Status st = server.Start();
  EXPECT_EQ(st.code(), EADDRINUSE) << st.ToString();
  EXPECT_NE(st.message().find(std::to_string(holder.port())), std::string::npos);
  EXPECT_EQ(server.port(), 0);
}

TEST(HttpServerTest, SecondServerCannotShareAPort) {
  Registry registry;
  HttpServer first(registry, {.addr = "127.0.0.1:0"});
  ASSERT_TRUE(first.Start().ok());
  HttpServer second(registry, {.addr = "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_EQ(second.Start().code(), EADDRINUSE);
}

TEST(HttpServerTest, PortInUseFallsBackToAnotherPort) {
  PortHolder holder;
  Registry registry;
  registry.GetGauge("tierfs_g", "g")->Set(3);
  HttpServer server(registry, {.addr = "127.0.0.1:" + std::to_string(holder.port()),
                               .fallback = HttpServer::Fallback::kNextPorts});
  Status st = server.Start();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_NE(server.port(), holder.port());
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("tierfs_g 3\n"), std::string::npos);
}

TEST(HttpServerTest, UnresolvableHostIsEinval) {
  Registry registry;
  HttpServer server(registry, {.addr = "no-such-host.invalid:0"});
  EXPECT_EQ(server.Start().code(), EINVAL);
}

}  // namespace
}  // namespace tierfs::metrics
