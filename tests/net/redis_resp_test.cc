#include <gtest/gtest.h>

#include "net/redis/resp.h"

namespace tierfs::net::redis {
namespace {

using T = Reply::Type;

// Parses `wire` fed whole and fed split at every byte: both must give the same replies.
std::vector<Reply> ParseAll(std::string_view wire) {
  std::vector<Reply> whole;
  RespParser p;
  p.Feed(wire);
  for (;;) {
    auto r = p.Next();
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r || !*r) break;
    whole.push_back(std::move(**r));
  }
  EXPECT_EQ(p.buffered(), 0u);
  for (size_t split = 1; split < wire.size(); split++) {
    RespParser q;
    std::vector<Reply> got;
    for (auto part : {wire.substr(0, split), wire.substr(split)}) {
      q.Feed(part);
      for (;;) {
        auto r = q.Next();
        EXPECT_TRUE(r.has_value());
        if (!r || !*r) break;
        got.push_back(std::move(**r));
      }
    }
    EXPECT_EQ(got.size(), whole.size()) << "split at " << split;
  }
  return whole;
}

// Each byte fed separately.
size_t ParseBytewise(std::string_view wire) {
  RespParser p;
  size_t n = 0;
  for (char c : wire) {
    p.Feed(std::string_view(&c, 1));
    for (;;) {
      auto r = p.Next();
      if (!r || !*r) break;
      n++;
    }
  }
  return n;
}

TEST(RedisRespTest, EncodesCommandsAsBulkArrays) {
  std::string out;
  EncodeCommand({"SET", "k", std::string("a\0b", 3)}, &out);
  EXPECT_EQ(out, std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
}

TEST(RedisRespTest, Resp2Types) {
  auto r = ParseAll("+OK\r\n-ERR bad thing\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n$0\r\n\r\n"
                    "*3\r\n:1\r\n*1\r\n+x\r\n$1\r\ny\r\n*0\r\n");
  ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(r[0].type, T::kStatus);
  EXPECT_EQ(r[0].str, "OK");
  EXPECT_TRUE(r[1].IsError());
  EXPECT_TRUE(r[1].ErrorIs("ERR"));
  EXPECT_FALSE(r[1].ErrorIs("ER"));
  EXPECT_EQ(r[2].integer, -42);
  EXPECT_EQ(r[3].str, "he\r\no");
  EXPECT_TRUE(r[4].IsNil());
  EXPECT_TRUE(r[5].IsNil());
  EXPECT_EQ(r[6].type, T::kString);
  EXPECT_EQ(r[6].str, "");
  ASSERT_EQ(r[7].elems.size(), 3u);
  EXPECT_EQ(r[7].elems[1].elems[0].str, "x");
  EXPECT_EQ(r[8].type, T::kArray);
  EXPECT_TRUE(r[8].elems.empty());
}

TEST(RedisRespTest, Resp3Types) {
  auto r = ParseAll("_\r\n#t\r\n#f\r\n,3.14\r\n(12345678901234567890\r\n=7\r\ntxt:abc\r\n"
                    "!9\r\nERR oops!\r\n%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n~2\r\n+x\r\n+y\r\n"
                    "|1\r\n+ttl\r\n:3\r\n+after-attr\r\n");
  ASSERT_EQ(r.size(), 10u);
  EXPECT_TRUE(r[0].IsNil());
  EXPECT_EQ(r[1].type, T::kBool);
  EXPECT_EQ(r[1].integer, 1);
  EXPECT_EQ(r[2].integer, 0);
  EXPECT_EQ(r[3].type, T::kDouble);
  EXPECT_EQ(r[3].str, "3.14");
  EXPECT_EQ(r[4].type, T::kBigNum);
  EXPECT_EQ(r[5].str, "abc");
  EXPECT_TRUE(r[6].IsError());
  EXPECT_EQ(r[6].str, "ERR oops!");
  EXPECT_EQ(r[7].type, T::kMap);
  ASSERT_EQ(r[7].elems.size(), 4u);
  EXPECT_EQ(r[7].elems[3].integer, 2);
  EXPECT_EQ(r[8].type, T::kArray);
  EXPECT_EQ(r[8].elems.size(), 2u);
  EXPECT_EQ(r[9].str, "after-attr");  // the attribute is dropped
}

TEST(RedisRespTest, PushFramesAreMarked) {
  auto r = ParseAll(">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n:7\r\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].is_push);
  EXPECT_EQ(r[0].elems[0].str, "invalidate");
  EXPECT_EQ(r[0].elems[1].elems[1].str, "b");
  EXPECT_TRUE(r[1].is_push);
  EXPECT_TRUE(r[1].elems[1].IsNil());
  EXPECT_FALSE(r[2].is_push);
}

TEST(RedisRespTest, ByteByByte) {
  std::string wire = "%1\r\n$3\r\nkey\r\n*2\r\n:1\r\n=6\r\ntxt:hi\r\n+OK\r\n>1\r\n+x\r\n";
  EXPECT_EQ(ParseBytewise(wire), 3u);
}

TEST(RedisRespTest, IncompleteWaits) {
  RespParser p;
  p.Feed("$5\r\nhel");
  auto r = p.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
  p.Feed("lo\r");
  EXPECT_FALSE(p.Next()->has_value());
  p.Feed("\n");
  auto done = p.Next();
  ASSERT_TRUE(done.has_value() && done->has_value());
  EXPECT_EQ((*done)->str, "hello");
}

TEST(RedisRespTest, MalformedIsEprotoNotACrash) {
  for (std::string bad : {"?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "*x\r\n", "#x\r\n",
                          "_1\r\n", "$99999999999999\r\n", "=3\r\nabc\r\n", ":\r\n"}) {
    RespParser p;
    p.Feed(bad);
    auto r = p.Next();
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), EPROTO) << bad;
  }
  std::string deep(200, '*');
  std::string wire;
  for (int i = 0; i < 200; i++) wire += "*1\r\n";
  RespParser p;
  p.Feed(wire + ":1\r\n");
  auto r = p.Next();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), EPROTO);
}

TEST(RedisRespTest, HugeClaimedArrayDoesNotAllocate) {
  RespParser p;
  p.Feed("*100000000\r\n:1\r\n");
  auto r = p.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());  // waits for the rest; nothing reserved up front
}

}  // namespace
}  // namespace tierfs::net::redis
