#include <gtest/gtest.h>

#include <cstdlib>

#include "net/redis/client.h"
#include "net/redis/sentinel.h"

namespace tierfs::net::redis {
namespace {

// REDIS_PASSWORD / META_PASSWORD must not leak in from the environment of the test run.
class RedisOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("REDIS_PASSWORD");
    ::unsetenv("META_PASSWORD");
  }
};

TEST_F(RedisOptionsTest, HostPortDbPassword) {
  auto o = OptionsFromUrl("redis://alice:pw%40x@10.0.0.1:6380/3");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->host, "10.0.0.1");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 3);
  EXPECT_EQ(o->user, "alice");
  EXPECT_EQ(o->password, "pw@x");
  EXPECT_FALSE(o->tls.enabled);
  auto d = OptionsFromUrl("redis://localhost");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
}

TEST_F(RedisOptionsTest, TlsSchemesAndQueryOptions) {
  auto o = OptionsFromUrl(
      "rediss://h:1/2?read-timeout=300ms&write-timeout=2s&dial-timeout=1m&max-retries=3&"
      "min-retry-backoff=10ms&max-retry-backoff=1s&tls-ca-cert-file=/ca.pem&tls-server-name=n&"
      "insecure-skip-verify=true&client-cache=false&client-cache-size=16&"
      "client-cache-expire=5s&inode_batch=7");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_TRUE(o->tls.enabled);
  EXPECT_EQ(o->read_timeout_ms, 300);
  EXPECT_EQ(o->write_timeout_ms, 2000);
  EXPECT_EQ(o->dial_timeout_ms, 60000);
  EXPECT_EQ(o->max_retries, 3);
  EXPECT_EQ(o->min_retry_backoff_ms, 10);
  EXPECT_EQ(o->max_retry_backoff_ms, 1000);
  EXPECT_EQ(o->tls.ca_file, "/ca.pem");
  EXPECT_EQ(o->tls.server_name, "n");
  EXPECT_TRUE(o->tls.insecure_skip_verify);
  EXPECT_FALSE(o->client_cache);
  EXPECT_EQ(o->cache_bytes, size_t(16) << 20);
  EXPECT_EQ(o->cache_ttl_ms, 5000);
  EXPECT_TRUE(OptionsFromUrl("ruediss://h")->tls.enabled);
  EXPECT_FALSE(OptionsFromUrl("rueidis://h")->tls.enabled);
}

TEST_F(RedisOptionsTest, UnixSocket) {
  auto o = OptionsFromUrl("unix:///run/redis.sock?db=5");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->unix_path, "/run/redis.sock");
  EXPECT_EQ(o->db, 5);
}

TEST_F(RedisOptionsTest, SentinelAndCluster) {
  auto o = OptionsFromUrl("redis://:pw@mymaster,h1,h2:26380,[::1]/2");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->master_name, "mymaster");
  EXPECT_EQ(o->sentinels, (std::vector<std::string>{"h1:26380", "h2:26380", "[::1]:26380"}));
  EXPECT_EQ(o->db, 2);
  auto d = OptionsFromUrl("redis://m,s1/0");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->sentinels, std::vector<std::string>{"s1:26379"});
  auto c = OptionsFromUrl("redis://a:7000,b:7001");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->cluster);
  EXPECT_EQ(c->cluster_nodes, (std::vector<std::string>{"a:7000", "b:7001"}));
  auto ep = ParseHostPort("[::1]:26380");
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 26380);
}

TEST_F(RedisOptionsTest, PasswordFromEnvironment) {
  ::setenv("META_PASSWORD", "meta", 1);
  EXPECT_EQ(OptionsFromUrl("redis://h")->password, "meta");
  ::setenv("REDIS_PASSWORD", "redis", 1);
  EXPECT_EQ(OptionsFromUrl("redis://h")->password, "redis");
  EXPECT_EQ(OptionsFromUrl("redis://:url@h")->password, "url");
}

TEST_F(RedisOptionsTest, ErrorsAreEinvalWithoutThePassword) {
  for (const char* bad : {"http://:topsecret@h", "redis://:topsecret@h/x",
                          "redis://:topsecret@h?read-timeout=soon", "redis://:topsecret@h?max-retries=-1",
                          "redis://:topsecret@h?client-cache=maybe", "unix://:topsecret@"}) {
    auto o = OptionsFromUrl(bad);
    ASSERT_FALSE(o.has_value()) << bad;
    EXPECT_EQ(o.error().code(), EINVAL) << bad;
    EXPECT_EQ(o.error().message().find("topsecret"), std::string::npos) << o.error().message();
  }
}

}  // namespace
}  // namespace tierfs::net::redis
