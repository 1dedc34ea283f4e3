#include "util/url.h"

#include <gtest/gtest.h>

namespace tierfs {
namespace {

TEST(UrlTest, Full) {
  auto u = ParseUrl("redis://alice:s%40cret@10.0.0.1:6379/1?timeout=3s&name=a+b%21");
  ASSERT_TRUE(u.has_value()) << u.error().ToString();
  EXPECT_EQ(u->scheme, "redis");
  EXPECT_EQ(u->user, "alice");
  EXPECT_TRUE(u->has_password);
  EXPECT_EQ(u->password, "s@cret");
  EXPECT_EQ(u->host, "10.0.0.1");
  EXPECT_EQ(u->port, 6379);
  EXPECT_EQ(u->path, "/1");
  EXPECT_EQ(u->query.at("timeout"), "3s");
  EXPECT_EQ(u->query.at("name"), "a b!");
  EXPECT_EQ(u->Redacted(), "redis://alice:****@10.0.0.1:6379/1?timeout=3s&name=a+b%21");
}

TEST(UrlTest, MinimalAndEmptyUserWithPassword) {
  auto u = ParseUrl("REDIS://localhost");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->scheme, "redis");
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 0);
  EXPECT_EQ(u->path, "");
  EXPECT_FALSE(u->has_password);
  EXPECT_EQ(u->Redacted(), "REDIS://localhost");

  auto p = ParseUrl("redis://:pw@h:1/2");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->user, "");
  EXPECT_EQ(p->password, "pw");
  EXPECT_EQ(p->Redacted(), "redis://:****@h:1/2");
}

TEST(UrlTest, PasswordWithAtSignUsesLastAt) {
  auto u = ParseUrl("postgres://u:p@ss@db:5432/jfs?sslmode=disable");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->host, "db");
  EXPECT_EQ(u->Redacted(), "postgres://u:****@db:5432/jfs?sslmode=disable");
}

TEST(UrlTest, Ipv6AndHostLists) {
  auto u = ParseUrl("redis://[::1]:6380/3");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 6380);
  auto s = ParseUrl("redis://:pw@mymaster,h1,h2:26379/2");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->host, "mymaster,h1,h2:26379");
  EXPECT_EQ(s->port, 0);
  EXPECT_EQ(s->path, "/2");
}

TEST(UrlTest, Sqlite) {
  auto abs = ParseUrl("sqlite3:///var/lib/tierfs/meta.db?_journal=WAL");
  ASSERT_TRUE(abs.has_value());
  EXPECT_EQ(abs->path, "/var/lib/tierfs/meta.db");
  EXPECT_EQ(abs->host, "");
  EXPECT_EQ(abs->query.at("_journal"), "WAL");
  auto rel = ParseUrl("sqlite3://my.db");
  ASSERT_TRUE(rel.has_value());
  EXPECT_EQ(rel->path, "my.db");
  auto sub = ParseUrl("sqlite3://dir/my%20file.db");
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->path, "dir/my file.db");
  EXPECT_FALSE(ParseUrl("sqlite3://").has_value());
  EXPECT_FALSE(ParseUrl("sqlite3://u:p@host:1/x.db").has_value());
}

TEST(UrlTest, Malformed) {
  for (const char* bad : {"", "localhost:6379", "://h", "1redis://h", "re dis://h", "redis://h:",
                          "redis://h:99999", "redis://h:12ab", "redis://[::1", "redis://[::1]x",
                          "redis://h/%zz", "redis://u%2:p@h", "redis://h?a=%4"}) {
    auto u = ParseUrl(bad);
    ASSERT_FALSE(u.has_value()) << bad;
    EXPECT_EQ(u.error().code(), EINVAL) << bad;
  }
}

TEST(UrlTest, ErrorsNeverCarryThePassword) {
  auto u = ParseUrl("redis://u:topsecret@h:notaport/1");
  ASSERT_FALSE(u.has_value());
  EXPECT_EQ(u.error().message().find("topsecret"), std::string::npos) << u.error().message();
  EXPECT_NE(u.error().message().find("****"), std::string::npos);
}

TEST(UrlTest, RedactUrlOnArbitraryText) {
  EXPECT_EQ(RedactUrl("redis://u:pw@h"), "redis://u:****@h");
  EXPECT_EQ(RedactUrl("redis://u@h"), "redis://u@h");
  EXPECT_EQ(RedactUrl("not a url"), "not a url");
  EXPECT_EQ(RedactUrl("s3://b.example.com/path?x=a@b"), "s3://b.example.com/path?x=a@b");
}

TEST(PercentDecodeTest, Cases) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc").value(), "a/b/c");
  EXPECT_EQ(PercentDecode("a+b").value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%g0").has_value());
}

}  // namespace
}  // namespace tierfs
