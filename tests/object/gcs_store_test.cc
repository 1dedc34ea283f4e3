// GcsStore (src/object/gcs_store.h) on a real fake-gcs-server (tests/gcs_server.h): what the
// conformance suite does not cover. Resumable uploads read back by ranges, list paging,
// missing and new buckets, dead and non-GCS endpoints, keys that need encoding, the factory
// with STORAGE_EMULATOR_HOST. (The emulator checks no credentials: the token flow is tested
// against a token endpoint of our own in gcs_auth_test.cc.) Each test has its own bucket.
#include "object/gcs_store.h"

#include <gtest/gtest.h>

#include "fake_env.h"
#include "gcs_server.h"
#include "store_checks.h"

namespace tierfs::object {
namespace {

using ::tierfs::testing::GcsServer;
using namespace testing;  // NOLINT: FakeEnv and the store_checks.h helpers

class GcsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TIERFS_REQUIRE_FAKE_GCS();
    std::string why;
    server_ = GcsServer::Shared(&why);
    ASSERT_NE(server_, nullptr) << why;
    bucket_ = NameForThisTest("gst-");
    store_ = Make();
    Status st = store_->Create();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  GcsLocation Location(std::string bucket = {}) {
    StoreConfig c;
    c.storage = "gs";
    c.bucket = server_->endpoint() + "/" + (bucket.empty() ? bucket_ : bucket);
    auto loc = ParseGcsLocation(c, FakeEnv());
    EXPECT_TRUE(loc.has_value()) << loc.error().ToString();
    return loc.value_or(GcsLocation{});
  }
  std::unique_ptr<GcsStore> Make(GcsOptions opts = {}) {
    return std::make_unique<GcsStore>(Location(), std::move(opts));
  }

  GcsServer* server_ = nullptr;
  std::string bucket_;
  std::unique_ptr<GcsStore> store_;
};

TEST_F(GcsStoreTest, ResumableUploadsReadBackByRanges) {
  const size_t kSize = 40 << 20;
  std::string data = RandomBytes(kSize, 41);
  ASSERT_TRUE(store_->Put("big/obj", data).ok());  // 16 MiB chunks
  ExpectBigObjectByRanges(*store_, "big/obj", data);

  // Chunks of 1 MiB + 1 byte are rounded up to 1.25 MiB (a multiple of 256 KiB): 6 of them
  // for 7 MiB, the last one short.
  GcsOptions small;
  small.resumable_threshold = 1 << 20;
  small.chunk_size = (1 << 20) + 1;
  auto s = Make(small);
  std::string seven = data.substr(3, 7 << 20);
  ASSERT_TRUE(s->Put("big/seven", seven).ok());
  EXPECT_EQ(*s->Get("big/seven"), seven);
  EXPECT_EQ(*s->Get("big/seven", (5 << 20) - 3, 10), seven.substr((5 << 20) - 3, 10));
}

TEST_F(GcsStoreTest, ListPagesWithASmallPageSize) {
  // startOffset is inclusive: the listing after a key must drop that key (checked here).
  GcsOptions paged;
  paged.list_page_size = 17;  // 14 pages
  auto p = Make(paged);
  ExpectListingPages(*store_, {store_.get(), p.get()}, 230);
}

TEST_F(GcsStoreTest, MissingBucket) {
  GcsStore s(Location("no-such-bucket-here"));
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), ENOENT) << put.ToString();
  EXPECT_EQ(s.Get("k").error().code(), ENOENT);
  EXPECT_EQ(s.Head("k").error().code(), ENOENT);
  auto list = s.List("");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), ENOENT);
  Status del = s.Delete("k");
  EXPECT_EQ(del.code(), ENOENT) << "a missing bucket is not a missing object";
  EXPECT_TRUE(store_->Delete("k").ok()) << "a missing object is";
}

TEST_F(GcsStoreTest, CreateMakesANewBucket) {
  GcsStore s(Location(bucket_.substr(0, 58) + "-new"));
  EXPECT_EQ(s.List("").error().code(), ENOENT);
  ASSERT_TRUE(s.Create().ok());
  ASSERT_TRUE(s.Create().ok()) << "creating an existing bucket succeeds";
  ASSERT_TRUE(s.Put("k", "v").ok());
  EXPECT_EQ(*s.Get("k"), "v");
  auto r = s.Request("GET", "/storage/v1/b/" + s.location().bucket, "get bucket");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(GcsStoreTest, DeadEndpointFailsWithinTheTimeout) {
  ExpectDeadEndpointFails([this](const std::string& host) {
    GcsOptions opts;
    opts.http.connect_timeout_ms = 500;
    opts.http.timeout_ms = 500;
    GcsLocation loc = Location();
    loc.endpoint = "http://" + host;
    return std::make_unique<GcsStore>(loc, opts);
  });
}

TEST_F(GcsStoreTest, RangedGetPastTheEnd) { ExpectRangesPastTheEnd(*store_); }

TEST_F(GcsStoreTest, KeysThatNeedEncoding) { ExpectKeysRoundTrip(*store_, KeysThatNeedEncoding()); }

// The factory registered as `gs`, pointed at the emulator the way Google's libraries are.
TEST_F(GcsStoreTest, OpenedByNameWithTheEmulatorHost) {
  ::setenv("STORAGE_EMULATOR_HOST", ("127.0.0.1:" + std::to_string(server_->port())).c_str(), 1);
  StoreConfig c;
  c.storage = "gs";
  c.bucket = "gs://" + bucket_;
  auto s = OpenObjectStore(c);
  ::unsetenv("STORAGE_EMULATOR_HOST");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ((*s)->Describe(), "gs://" + bucket_ + "/");
  ASSERT_TRUE((*s)->Put("by-name/gs", "gs").ok());
  EXPECT_EQ(*store_->Get("by-name/gs"), "gs");
}

TEST(GcsStoreNotGcsTest, EndpointThatIsNotAnObjectStore) {
  HtmlServer html;
  ASSERT_GT(html.port(), 0);
  StoreConfig c;
  c.storage = "gs";
  c.bucket = "http://127.0.0.1:" + std::to_string(html.port()) + "/bkt";
  GcsStore s(*ParseGcsLocation(c, FakeEnv()));
  Status create = s.Create();
  EXPECT_EQ(create.code(), EIO);
  EXPECT_NE(create.message().find("not a Cloud Storage endpoint"), std::string::npos)
      << create.message();
  EXPECT_EQ(s.List("").error().code(), EIO);
  auto head = s.Head("k");
  EXPECT_EQ(head.error().code(), EIO) << head.error().ToString();
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), EIO);
  EXPECT_NE(put.message().find("HTTP 405"), std::string::npos) << put.message();
}

}  // namespace
}  // namespace tierfs::object
