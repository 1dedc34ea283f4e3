// S3Store (src/object/s3_store.h) on a real MinIO (tests/minio_server.h): what the
// conformance suite does not cover. Multipart, paging past 1000 keys, the server's own error
// messages, missing buckets, dead endpoints, clock skew, keys that need encoding. Each test
// has its own bucket.
#include "object/crc32c.h"
#include "object/s3_store.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "minio_server.h"
#include "port_holder.h"

namespace tierfs::object {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ::tierfs::testing::MinioServer;
using ::tierfs::testing::PortHolder;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

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
    // Bucket names: 3..63 of [a-z0-9-].
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    bucket_ = "s3t-";
    for (char c : name) bucket_ += char(std::tolower(static_cast<unsigned char>(c)));
    bucket_ = bucket_.substr(0, 63);
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
  EXPECT_EQ(store_->Head("big/obj")->size, kSize);
  struct Range {
    uint64_t off;
    int64_t len;
  };
  for (Range r : {Range{0, 100}, Range{(16 << 20) - 10, 20}, Range{(32 << 20) - 1, 2},
                  Range{kSize - 5, 100}, Range{12345, 5 << 20}}) {
    auto got = store_->Get("big/obj", r.off, r.len);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(*got, data.substr(r.off, size_t(r.len))) << r.off;
  }
  EXPECT_EQ(*store_->Get("big/obj"), data);
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
  constexpr int kKeys = 1100, kThreads = 8;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("many/" + std::to_string(i));
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += kThreads) {
        if (!store_->Put(keys[i], "x").ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failed.load(), 0);
  std::sort(keys.begin(), keys.end());
  auto names = [](const std::vector<ObjectInfo>& objs) {
    std::vector<std::string> out;
    for (const auto& o : objs) out.push_back(o.key);
    return out;
  };
  // S3's own page size (1000: two requests) and small pages of 100 (eleven).
  S3Options paged;
  paged.list_page_size = 100;
  auto paged_store = Make(paged);
  for (S3Store* s : {store_.get(), paged_store.get()}) {
    auto all = s->List("many/");
    ASSERT_TRUE(all.has_value()) << all.error().ToString();
    EXPECT_EQ(names(*all), keys);
    auto limited = s->List("many/", "", 1050);
    ASSERT_TRUE(limited.has_value());
    EXPECT_EQ(names(*limited), std::vector<std::string>(keys.begin(), keys.begin() + 1050));
    auto after = s->List("many/", keys[499], 0);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(names(*after), std::vector<std::string>(keys.begin() + 500, keys.end()));
  }
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
  S3Options opts;
  opts.http.connect_timeout_ms = 500;
  opts.http.timeout_ms = 500;
  S3Location loc = Location();
  loc.endpoint = "127.0.0.1:" + std::to_string(PortHolder::ClosedPort());
  S3Store refused(loc, opts);
  auto start = steady_clock::now();
  Status st = refused.Put("k", "v");
  EXPECT_EQ(st.code(), EIO) << st.ToString();
  EXPECT_NE(st.message().find(loc.endpoint), std::string::npos) << st.message();
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));

  PortHolder hung;  // accepts the connection, never answers
  loc.endpoint = "127.0.0.1:" + std::to_string(hung.port());
  S3Store silent(loc, opts);
  start = steady_clock::now();
  auto got = silent.Get("k");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ETIMEDOUT) << got.error().ToString();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
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

TEST_F(S3StoreTest, RangedGetPastTheEnd) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(*store_->Get("r", 10), "");        // S3 answers 416 here
  EXPECT_EQ(*store_->Get("r", 10, 5), "");
  EXPECT_EQ(*store_->Get("r", 1000, 1), "");
  EXPECT_EQ(*store_->Get("r", 8, 1000), "89");  // clipped
  EXPECT_EQ(*store_->Get("r", 9, 1), "9");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty", 0, 5), "");
  EXPECT_EQ(*store_->Get("empty", 3), "");
  EXPECT_EQ(store_->Get("nope", 10, 5).error().code(), ENOENT);
  EXPECT_EQ(store_->Get("nope", 0, 0).error().code(), ENOENT);
}

TEST_F(S3StoreTest, KeysThatNeedEncoding) {
  // JuiceFS objbench's special key, and characters that URLs and XML treat specially.
  const std::vector<std::string> keys = {
      "\xe6\xb5\x8b\xe8\xaf\x95\xe7\xbc\x96\xe7\xa0\x81\xe6\x96\x87\xe4\xbb\xb6{\"name\":"
      "\"juicefs\"}\x1f%uFF081%uFF09.jpg",
      "sp ace+plus", "q?hash#amp&eq=semi;", "tilde~star*paren()", "pct%2Fnot-a-slash",
      "lt<gt>quot\"apos'", "dir/a\tb"};
  for (const std::string& k : keys) {
    ASSERT_TRUE(store_->Put(k, "v:" + k).ok()) << k;
    auto got = store_->Get(k);
    ASSERT_TRUE(got.has_value()) << k << ": " << got.error().ToString();
    EXPECT_EQ(*got, "v:" + k);
    EXPECT_EQ(store_->Head(k)->size, k.size() + 2);
  }
  auto all = store_->List("");
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> listed, want = keys;
  for (const auto& o : *all) listed.push_back(o.key);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listed, want);
  // objbench: start-after the key's Chinese prefix returns exactly the key.
  auto after = store_->List("", "\xe6\xb5\x8b\xe8\xaf\x95\xe7\xbc\x96\xe7\xa0\x81\xe6\x96\x87\xe4\xbb\xb6");
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].key, keys[0]);
  for (const std::string& k : keys) EXPECT_TRUE(store_->Delete(k).ok()) << k;
  EXPECT_TRUE(store_->List("")->empty());
}

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
  httplib::Server server;
  auto page = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>It works!</body></html>", "text/html");
  };
  server.Get(".*", page);
  server.Put(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 405; });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread th([&] { server.listen_after_bind(); });
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
  server.stop();
  th.join();
}

}  // namespace
}  // namespace tierfs::object
