// Shared fixture of the net/redis tests: a fresh redis-server per test and clients on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "net/redis/client.h"
#include "redis_server.h"

namespace tierfs::net::redis {

class RedisFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    TIERFS_REQUIRE_REDIS();
    Status s = server_.Start(ServerArgs());
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  virtual std::vector<std::string> ServerArgs() { return {"--enable-debug-command", "yes"}; }

  Options Opts() {
    Options o;
    o.port = server_.port();
    o.read_timeout_ms = 10000;
    o.min_retry_backoff_ms = 5;
    o.max_retry_backoff_ms = 100;
    return o;
  }
  std::unique_ptr<Client> Connect(const Options& o) {
    auto c = Client::Connect(o);
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c ? std::move(*c) : nullptr;
  }
  std::unique_ptr<Client> Connect() { return Connect(Opts()); }

  static Reply Must(Result<Reply> r) {
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? std::move(*r) : Reply{};
  }

  // Runs fn(0..n-1) on n threads and joins them.
  static void Parallel(int n, const std::function<void(int)>& fn) {
    std::vector<std::thread> ts;
    for (int t = 0; t < n; t++) ts.emplace_back(fn, t);
    for (auto& t : ts) t.join();
  }

  testing::RedisServer server_;
};

}  // namespace tierfs::net::redis
