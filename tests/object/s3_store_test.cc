// S3Store (src/object/s3_store.h) on a real MinIO (tests/minio_server.h): what the
// conformance suite does not cover. Multipart, paging past 1000 keys, the server's own error
// messages, missing buckets, dead endpoints, clock skew, keys that need encoding. Each test
// has its own bucket.
#include "object/crc32c.h"
#include "object/s3_store.h"

#include <gtest/gtest.h>

#include <atomic>

#include "minio_server.h"
#include "store_checks.h"

namespace tierfs::object {
namespace {

using ::tierfs::testing::MinioServer;
using namespace testing;  // NOLINT: the store_checks.h helpers

// The tests parse buckets without the process environment (an AWS_REGION of the machine must
// not change them), except the one that tests the environment.
std::optional<std::string> NoEnv(const char*) { return std::nullopt; }

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TIERFS_REQUIRE_MINIO();
    std::string why;
    minio_ = MinioServer::Shared(&why);
    ASSERT_NE(minio_, nullptr) << why;
    bucket_ = NameForThisTest("s3t-");  // bucket names: 3..63 of [a-z0-9-]
    store_ = Make();
    Status st = store_->Create();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  S3Location Location(std::string bucket = {}, std::string ak = MinioServer::kUser,
                      std::string sk = MinioServer::kPassword) {
    StoreConfig c;
    c.storage = "minio";
    c.bucket = minio_->endpoint() + "/" + (bucket.empty() ? bucket_ : bucket);
    c.access_key = std::move(ak);
    c.secret_key = std::move(sk);
    return *ParseMinioLocation(c, NoEnv);
  }
  std::unique_ptr<S3Store> Make(S3Options opts = {}) {
    return std::make_unique<S3Store>(Location(), std::move(opts));
  }
  // Uploads still pending (not completed, not aborted) in the bucket.
  size_t PendingUploads() {
    auto r = store_->Request("GET", "", {{"uploads", ""}});
    EXPECT_TRUE(r && r->status == 200);
    size_t n = 0;
    for (size_t at = 0; r && (at = r->body.find("<UploadId>", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  MinioServer* minio_ = nullptr;
  std::string bucket_;
  std::unique_ptr<S3Store> store_;
};

TEST_F(S3StoreTest, MultipartOf40MiBReadBackByRanges) {
  const size_t kSize = 40 << 20;
  std::string data = RandomBytes(kSize, 40);
  ASSERT_TRUE(store_->Put("big/obj", data).ok());
  // A multipart object's ETag is "<md5 of the part md5s>-<part count>": 16 MiB parts -> 3.
  auto head = store_->Request("HEAD", "big/obj");
  ASSERT_TRUE(head.has_value());
  EXPECT_TRUE(std::string(head->Header("etag")).ends_with("-3\"")) << head->Header("etag");
  ExpectBigObjectByRanges(*store_, "big/obj", data);
  EXPECT_EQ(PendingUploads(), 0u);

  // Smaller parts: 40 MiB in 5 MiB parts is 8 of them.
  S3Options small;
  small.multipart_threshold = 6 << 20;
  small.part_size = 5 << 20;
  auto s = Make(small);
  ASSERT_TRUE(s->Put("big/eight", data).ok());
  EXPECT_TRUE(std::string(s->Request("HEAD", "big/eight")->Header("etag")).ends_with("-8\""));
  EXPECT_EQ(*s->Get("big/eight", 7 << 20, 10), data.substr(7 << 20, 10));
}

TEST_F(S3StoreTest, FailedMultipartIsAborted) {
  // The third request (part 2) is signed 1 h in the past: MinIO refuses it, the upload aborts.
  std::atomic<int> calls{0};
  S3Options opts;
  opts.multipart_threshold = 6 << 20;
  opts.part_size = 5 << 20;
  opts.now = [&] { return std::time(nullptr) - (++calls == 3 ? 3600 : 0); };
  auto s = Make(opts);
  Status st = s->Put("mp/fail", RandomBytes(12 << 20, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), EACCES) << st.ToString();
  EXPECT_NE(st.message().find("RequestTimeTooSkewed"), std::string::npos) << st.message();
  EXPECT_EQ(store_->Head("mp/fail").error().code(), ENOENT);
  EXPECT_EQ(PendingUploads(), 0u);
}

TEST_F(S3StoreTest, ListContinuesPast1000Keys) {
  // S3's own page size (1000: two requests) and small pages of 100 (eleven).
  S3Options paged;
  paged.list_page_size = 100;
  auto paged_store = Make(paged);
  ExpectListingPages(*store_, {store_.get(), paged_store.get()}, 1100);
}

TEST_F(S3StoreTest, WrongCredentialsGiveTheServersMessage) {
  S3Store bad_key(Location("", "nosuchuser", MinioServer::kPassword));
  Status put = bad_key.Put("k", "v");
  EXPECT_EQ(put.code(), EACCES);
  EXPECT_EQ(put.message(), "PUT minio://127.0.0.1:" + std::to_string(minio_->port()) + "/" + bucket_ +
                               "/k: InvalidAccessKeyId: The Access Key Id you provided does not "
                               "exist in our records.");
  EXPECT_EQ(bad_key.Get("k").error().code(), EACCES);
  EXPECT_EQ(bad_key.List("").error().code(), EACCES);
  EXPECT_EQ(bad_key.Head("k").error().code(), EACCES);
  Status create = bad_key.Create();
  EXPECT_EQ(create.code(), EACCES);
  EXPECT_NE(create.message().find("InvalidAccessKeyId"), std::string::npos) << create.message();

  S3Store bad_secret(Location("", MinioServer::kUser, "wrong-secret"));
  Status st = bad_secret.Put("k", "v");
  EXPECT_EQ(st.code(), EACCES);
  EXPECT_NE(st.message().find("SignatureDoesNotMatch: The request signature we calculated does "
                              "not match the signature you provided."),
            std::string::npos)
      << st.message();
}

TEST_F(S3StoreTest, MissingBucket) {
  S3Store s(Location("no-such-bucket-here"));
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), ENOENT);
  EXPECT_NE(put.message().find("NoSuchBucket: The specified bucket does not exist"), std::string::npos)
      << put.message();
  EXPECT_EQ(s.Get("k").error().code(), ENOENT);
  EXPECT_EQ(s.Head("k").error().code(), ENOENT);
  auto list = s.List("");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), ENOENT);
  Status del = s.Delete("k");
  EXPECT_EQ(del.code(), ENOENT) << "a missing bucket is not a missing key";
  EXPECT_NE(del.message().find("NoSuchBucket"), std::string::npos);
}

TEST_F(S3StoreTest, CreateMakesANewBucket) {
  S3Store s(Location(bucket_ + "-new"));
  EXPECT_EQ(s.List("").error().code(), ENOENT);
  ASSERT_TRUE(s.Create().ok());
  ASSERT_TRUE(s.Create().ok()) << "creating an existing bucket of ours succeeds";
  ASSERT_TRUE(s.Put("k", "v").ok());
  EXPECT_EQ(*s.Get("k"), "v");
  // The bucket exists for others now too.
  auto r = s.Request("HEAD", "");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(S3StoreTest, DeadEndpointFailsWithinTheTimeout) {
  ExpectDeadEndpointFails([this](const std::string& host) {
    S3Options opts;
    opts.http.connect_timeout_ms = 500;
    opts.http.timeout_ms = 500;
    S3Location loc = Location();
    loc.endpoint = host;
    return std::make_unique<S3Store>(loc, opts);
  });
}

// Every Put stores x-amz-meta-crc32c (as JuiceFS does); a whole-object Get checks it, so an object
// changed behind our back (same metadata, other bytes) is EBADMSG, never wrong bytes.
TEST_F(S3StoreTest, WholeObjectGetsCheckTheStoredCrc32c) {
  std::string data(300000, 'a');
  ASSERT_TRUE(store_->Put("c", data).ok());
  auto head = store_->Request("HEAD", "c");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->Header("x-amz-meta-crc32c"), std::to_string(Crc32c(data)));
  std::string flipped = data;
  flipped[123456] ^= 0x04;
  auto put = store_->Request("PUT", "c", {}, {{"x-amz-meta-crc32c", std::to_string(Crc32c(data))}}, flipped);
  ASSERT_TRUE(put && put->status == 200);
  auto got = store_->Get("c");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), EBADMSG);
  EXPECT_NE(got.error().message().find("/c: verify checksum failed"), std::string::npos) << got.error().message();
  EXPECT_EQ(*store_->Get("c", 10, 5), "aaaaa");  // a range cannot be checked
  // An object without the metadata (written by another tool) is not checked.
  auto plain = store_->Request("PUT", "p", {}, {}, "plain");
  ASSERT_TRUE(plain && plain->status == 200);
  EXPECT_EQ(*store_->Get("p"), "plain");
  // Multipart objects carry it too.
  std::string big(40 << 20, 'b');
  ASSERT_TRUE(store_->Put("big", big).ok());
  EXPECT_EQ(store_->Request("HEAD", "big")->Header("x-amz-meta-crc32c"), std::to_string(Crc32c(big)));
  EXPECT_EQ(store_->Get("big")->size(), big.size());
}

TEST_F(S3StoreTest, RangedGetPastTheEnd) { ExpectRangesPastTheEnd(*store_); }

TEST_F(S3StoreTest, KeysThatNeedEncoding) { ExpectKeysRoundTrip(*store_, KeysThatNeedEncoding()); }

TEST_F(S3StoreTest, ClockSkewIsRefusedWithTheServersMessage) {
  S3Options opts;
  opts.now = [] { return std::time(nullptr) - 3600; };
  Status st = Make(opts)->Put("k", "v");
  EXPECT_EQ(st.code(), EACCES);
  EXPECT_NE(st.message().find("RequestTimeTooSkewed"), std::string::npos) << st.message();
}

// Temporary credentials from MinIO's STS (tests/minio_server.h): the session token goes out as
// X-Amz-Security-Token, signed.
TEST_F(S3StoreTest, SessionToken) {
  auto creds = minio_->TemporaryCredentials();
  ASSERT_TRUE(creds.has_value()) << creds.error().ToString();
  S3Location loc = Location();
  loc.creds = *creds;
  ASSERT_FALSE(loc.creds.session_token.empty());
  S3Store temp(loc);
  ASSERT_TRUE(temp.Put("sts", "temporary").ok());
  EXPECT_EQ(*temp.Get("sts"), "temporary");
  loc.creds.session_token = "not-the-token";
  Status bad = S3Store(loc).Put("sts", "x");
  EXPECT_EQ(bad.code(), EACCES) << bad.ToString();
  loc.creds.session_token.clear();
  Status none = S3Store(loc).Put("sts", "x");
  EXPECT_EQ(none.code(), EACCES) << none.ToString();
}

// The factories registered as `s3` and `minio`, with the keys from the environment.
TEST_F(S3StoreTest, OpenedByNameWithKeysFromTheEnvironment) {
  for (auto [storage, ak, sk] : {std::tuple{"s3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
                                 std::tuple{"minio", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"}}) {
    ::setenv(ak, MinioServer::kUser, 1);
    ::setenv(sk, MinioServer::kPassword, 1);
    StoreConfig c;
    c.storage = storage;
    c.bucket = minio_->endpoint() + "/" + bucket_;
    auto s = OpenObjectStore(c);
    ::unsetenv(ak);
    ::unsetenv(sk);
    ASSERT_TRUE(s.has_value()) << storage << ": " << s.error().ToString();
    Status put = (*s)->Put(std::string("by-name/") + storage, storage);
    EXPECT_TRUE(put.ok()) << storage << ": " << put.ToString();
    EXPECT_EQ(*store_->Get(std::string("by-name/") + storage), storage);
  }
}

TEST_F(S3StoreTest, SignedPayload) {
  S3Options opts;
  opts.sign_payload = true;
  auto s = Make(opts);
  ASSERT_TRUE(s->Put("signed", "payload").ok());
  EXPECT_EQ(*s->Get("signed"), "payload");
}

// https with the certificate trusted through HttpOptions::ca_file, and refused by the
// system CA store (which does not know this self-signed one).
TEST(S3StoreTlsTest, HttpsEndpoint) {
  TIERFS_REQUIRE_MINIO();
  MinioServer minio;
  Status started = minio.Start(/*tls=*/true);
  ASSERT_TRUE(started.ok()) << started.ToString();
  StoreConfig c;
  c.storage = "s3";
  c.bucket = minio.endpoint() + "/tls-bucket";
  c.access_key = MinioServer::kUser;
  c.secret_key = MinioServer::kPassword;
  auto loc = ParseS3Location(c, NoEnv);
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->scheme, "https");
  S3Options trusted;
  trusted.http.ca_file = minio.ca_file();
  S3Store s(*loc, trusted);
  ASSERT_TRUE(s.Create().ok());
  ASSERT_TRUE(s.Put("k", "over tls").ok());
  EXPECT_EQ(*s.Get("k", 5), "tls");
  S3Store system_ca(*loc);
  Status st = system_ca.Put("k", "x");
  EXPECT_EQ(st.code(), EIO);
  EXPECT_NE(st.message().find("certificate"), std::string::npos) << st.message();
}

// An HTTP server that is not an object store: every request gets an HTML page.
TEST(S3StoreNotS3Test, EndpointThatIsNotAnObjectStore) {
  HtmlServer html;
  ASSERT_GT(html.port(), 0);
  int port = html.port();
  StoreConfig c;
  c.storage = "s3";
  c.bucket = "http://127.0.0.1:" + std::to_string(port) + "/bkt";
  c.access_key = "ak";
  c.secret_key = "sk";
  S3Store s(*ParseS3Location(c, NoEnv));
  Status create = s.Create();
  EXPECT_EQ(create.code(), EIO);
  EXPECT_NE(create.message().find("not an S3 endpoint"), std::string::npos) << create.message();
  auto list = s.List("");
  EXPECT_EQ(list.error().code(), EIO);
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), EINVAL);  // 405: not an S3 endpoint, never worth a retry
  EXPECT_NE(put.message().find("HTTP 405"), std::string::npos) << put.message();
}

}  // namespace
}  // namespace tierfs::object
