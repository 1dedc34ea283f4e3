// object/gcs_reply.h on replies shaped as Google's JSON API reference documents them.
#include "object/gcs_reply.h"

#include <gtest/gtest.h>

namespace tierfs::object {
namespace {

net::http::HttpResponse Reply(int status, std::string body) {
  net::http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(GcsReplyTest, ErrorsCarryTheReasonAndTheServersMessage) {
  struct Case {
    int status;
    std::string reason, message;
    int want;
  };
  for (const Case& c : {Case{404, "notFound", "No such object: b/k", ENOENT},
                        Case{403, "forbidden",
                             "sa@p.iam.gserviceaccount.com does not have "
                             "storage.objects.create access",
                             EACCES},
                        Case{401, "required", "Anonymous caller does not have access", EACCES},
                        Case{429, "rateLimitExceeded", "slow down", EBUSY},
                        Case{503, "backendError", "Backend Error", EBUSY},
                        Case{500, "backendError", "Backend Error", EIO},
                        Case{400, "invalid", "Invalid argument.", EINVAL},
                        Case{409, "conflict", "You already own this bucket.", EEXIST}}) {
    std::string body = R"({"error":{"code":)" + std::to_string(c.status) + R"(,"message":")" +
                       c.message + R"(","errors":[{"message":"x","domain":"global","reason":")" +
                       c.reason + R"("}]}})";
    Status st = GcsStatusOf(Reply(c.status, body), "PUT gs://b/k");
    EXPECT_EQ(st.code(), c.want) << c.status;
    EXPECT_EQ(st.message(), "PUT gs://b/k: " + c.reason + ": " + c.message);
  }
  Status plain = GcsStatusOf(Reply(404, "No such object: b/k\n"), "GET gs://b/k");
  EXPECT_EQ(plain.code(), ENOENT);
  EXPECT_EQ(plain.message(), "GET gs://b/k: HTTP 404: No such object: b/k");
  EXPECT_EQ(GcsStatusOf(Reply(502, ""), "x").message(), "x: HTTP 502");
}

TEST(GcsReplyTest, ObjectResource) {
  auto o = ParseGcsObject(R"({"kind":"storage#object","name":"a/b c","bucket":"b",
      "size":"1234","updated":"1994-11-06T08:49:37.123Z"})");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->key, "a/b c");
  EXPECT_EQ(o->size, 1234u);
  EXPECT_EQ(o->mtime, 784111777);
  EXPECT_EQ(ParseGcsObject(R"({"name":"x","size":12})")->size, 12u);
  EXPECT_EQ(ParseGcsObject(R"({"name":"x","size":"-1"})").error().code(), EIO);
  EXPECT_EQ(ParseGcsObject(R"({"name":"x"})").error().code(), EIO);
  EXPECT_EQ(ParseGcsObject("<html/>").error().code(), EIO);
}

TEST(GcsReplyTest, ListPage) {
  auto page = ParseGcsList(R"({"kind":"storage#objects","nextPageToken":"tok",
      "items":[{"name":"p/1","size":"1","updated":"2026-01-01T00:00:00Z"},
               {"name":"p/2","size":"0","updated":"2026-01-01T00:00:01Z"}]})");
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "p/2");
  EXPECT_EQ(page->next_page_token, "tok");
  auto empty = ParseGcsList(R"({"kind":"storage#objects"})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_EQ(empty->next_page_token, "");
  EXPECT_EQ(ParseGcsList(R"({"hello":"world"})").error().code(), EIO);
  EXPECT_EQ(ParseGcsList("It works!").error().code(), EIO);
  EXPECT_EQ(ParseGcsList(R"({"items":[{"size":"1"}]})").error().code(), EIO);
}

TEST(GcsReplyTest, Rfc3339) {
  EXPECT_EQ(ParseRfc3339("1994-11-06T08:49:37Z"), 784111777);
  EXPECT_EQ(ParseRfc3339("1994-11-06T08:49:37.5Z"), 784111777);
  EXPECT_EQ(ParseRfc3339("1994-11-06T10:49:37+02:00"), 784111777);
  EXPECT_EQ(ParseRfc3339("1994-11-06T07:19:37.000-01:30"), 784111777);
  EXPECT_EQ(ParseRfc3339("yesterday"), 0);
}

}  // namespace
}  // namespace tierfs::object
