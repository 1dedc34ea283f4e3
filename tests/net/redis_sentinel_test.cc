#include "redis_test_util.h"

namespace tierfs::net::redis {
namespace {

using RedisSentinelTest = RedisFixture;

TEST_F(RedisSentinelTest, ConnectsToTheMasterTheSentinelNames) {
  testing::RedisServer sentinel;
  Status s = sentinel.StartSentinel("mymaster", server_.port());
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto o = OptionsFromUrl("redis://mymaster,127.0.0.1:" + std::to_string(sentinel.port()) + "/1");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  auto c = Connect(*o);
  ASSERT_TRUE(c);
  EXPECT_EQ(Must(c->Do({"SET", "via", "sentinel"})).str, "OK");
  auto lease = c->Lease();
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Must((*lease)->Do({"GET", "via"})).str, "sentinel");
  Options d = Opts();
  d.db = 1;
  auto direct = Connect(d);  // the master the sentinel monitors, db 1
  ASSERT_TRUE(direct);
  EXPECT_EQ(Must(direct->Do({"GET", "via"})).str, "sentinel");
  Options unknown = *o;
  unknown.master_name = "nosuch";
  auto bad = Client::Connect(unknown);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), EIO) << bad.error().ToString();
}

}  // namespace
}  // namespace tierfs::net::redis
