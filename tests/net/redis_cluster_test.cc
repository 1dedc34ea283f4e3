// Redis Cluster pieces that need no cluster: the slot function against the specification's
// and the documentation's values, and detection on a standalone server. The client against a
// real cluster (seeds, one node, a slot migrated while mounted) is in tests/e2e/test_redis.py.
#include "net/redis/cluster.h"

#include "redis_test_util.h"

namespace tierfs::net::redis {
namespace {

TEST(RedisKeySlotTest, MatchesTheSpecificationAndTheDocumentedSlots) {
  EXPECT_EQ(KeySlot("123456789"), 0x31C3);  // CRC16/XMODEM check value (cluster spec, appendix)
  EXPECT_EQ(KeySlot("somekey"), 11058);      // CLUSTER KEYSLOT documentation examples
  EXPECT_EQ(KeySlot("foo{hash_tag}"), 2515);
  EXPECT_EQ(KeySlot("{hash_tag}"), 2515);
}

TEST(RedisKeySlotTest, HashTagRules) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot(std::string_view("foo{}{bar}")));  // empty tag: whole key
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));  // from the first '{' to the next '}'
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));   // the first tag only
  EXPECT_EQ(KeySlot("{1}i1"), KeySlot("{1}setting"));    // a tierfs volume: one slot
  EXPECT_LT(KeySlot(""), kClusterSlots);
}

using RedisClusterDetectTest = RedisFixture;

TEST_F(RedisClusterDetectTest, AStandaloneServerIsNotACluster) {
  auto detected = IsClusterNode(Opts());
  ASSERT_TRUE(detected.has_value()) << detected.error().ToString();
  EXPECT_FALSE(*detected);
  auto c = Connect();
  EXPECT_FALSE(c->cluster());
}

TEST(RedisClusterResolverTest, NoReachableNodeIsAnErrorNamingTheNodes) {
  Options o;
  o.cluster = true;
  o.cluster_nodes = {"127.0.0.1:1"};
  o.cluster_key = "{1}";
  o.dial_timeout_ms = 500;
  auto ep = MakeClusterResolver(o)();
  ASSERT_FALSE(ep.has_value());
  EXPECT_EQ(ep.error().code(), EIO);
  EXPECT_NE(ep.error().message().find("127.0.0.1:1"), std::string::npos) << ep.error().ToString();
}

}  // namespace
}  // namespace tierfs::net::redis
