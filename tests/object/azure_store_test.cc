// AzureStore (src/object/azure_store.h) on a real Azurite (tests/azurite_server.h): what the
// conformance suite does not cover. Blobs in blocks read back by ranges, list paging, the
// server's messages for a wrong key and a bad SAS (Azurite checks both), SAS tokens and
// connection strings, missing and new containers, dead and non-Azure endpoints, keys that
// need encoding. Each test has its own container.
#include "object/azure_store.h"

#include <gtest/gtest.h>

#include "azurite_server.h"
#include "fake_env.h"
#include "object/sigv4.h"
#include "object/xml.h"
#include "store_checks.h"
#include "util/base64.h"

namespace tierfs::object {
namespace {

using ::tierfs::testing::AzuriteServer;
using namespace testing;  // NOLINT: FakeEnv and the store_checks.h helpers

// An account SAS for the Blob service (Microsoft's "Create an account SAS", the string to
// sign of version 2020-12-06 and later), valid for an hour, with `permissions` ("rwdlac").
std::string AccountSas(const std::string& permissions) {
  std::time_t expiry = std::time(nullptr) + 3600;
  std::tm tm{};
  gmtime_r(&expiry, &tm);
  char se[32];
  std::strftime(se, sizeof se, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::string sv = "2021-08-06";
  std::string sts = std::string(kAzuriteAccount) + "\n" + permissions + "\nb\nsco\n\n" + se +
                    "\n\nhttps,http\n" + sv + "\n\n";
  std::string sig = azure::HmacSha256Base64(*Base64Decode(kAzuriteKey), sts);
  return "sv=" + sv + "&ss=b&srt=sco&sp=" + permissions + "&se=" + sigv4::UriEncode(se, false) +
         "&spr=https,http&sig=" + sigv4::UriEncode(sig, false);
}

class AzureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TIERFS_REQUIRE_AZURITE();
    std::string why;
    azurite_ = AzuriteServer::Shared(&why);
    ASSERT_NE(azurite_, nullptr) << why;
    container_ = NameForThisTest("azt-");  // 3..63 of [a-z0-9-], no double hyphen
    store_ = Make();
    Status st = store_->Create();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // The test's container with the account key (or `key`, or a SAS when `sas` is given).
  AzureLocation Location(std::string container = {}, std::string key = kAzuriteKey,
                         std::string sas = {}) {
    StoreConfig c;
    c.storage = "wasb";
    c.bucket = azurite_->endpoint() + "/" + (container.empty() ? container_ : container);
    c.secret_key = std::move(key);
    c.session_token = std::move(sas);
    auto loc = ParseAzureLocation(c, FakeEnv());
    EXPECT_TRUE(loc.has_value()) << loc.error().ToString();
    return loc.value_or(AzureLocation{});
  }
  std::unique_ptr<AzureStore> Make(AzureOptions opts = {}) {
    return std::make_unique<AzureStore>(Location(), std::move(opts));
  }
  // The committed blocks of a blob (Get Block List).
  size_t CommittedBlocks(const std::string& key) {
    auto r = store_->Request("GET", key, {{"comp", "blocklist"}, {"blocklisttype", "committed"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.error().ToString());
    if (!r) return 0;
    auto doc = ParseXml(r->body);
    const XmlNode* committed = doc ? doc->Child("CommittedBlocks") : nullptr;
    return committed ? committed->children.size() : 0;
  }

  AzuriteServer* azurite_ = nullptr;
  std::string container_;
  std::unique_ptr<AzureStore> store_;
};

TEST_F(AzureStoreTest, BlocksOf40MiBReadBackByRanges) {
  const size_t kSize = 40 << 20;
  std::string data = RandomBytes(kSize, 40);
  ASSERT_TRUE(store_->Put("big/obj", data).ok());
  EXPECT_EQ(CommittedBlocks("big/obj"), 3u);  // 16 MiB blocks
  ExpectBigObjectByRanges(*store_, "big/obj", data);

  AzureOptions small;
  small.block_threshold = 6 << 20;
  small.block_size = 5 << 20;
  auto s = Make(small);
  ASSERT_TRUE(s->Put("big/eight", data).ok());
  EXPECT_EQ(CommittedBlocks("big/eight"), 8u);
  EXPECT_EQ(*s->Get("big/eight", 7 << 20, 10), data.substr(7 << 20, 10));
  // Overwritten by a small blob: one Put Blob replaces the block list.
  ASSERT_TRUE(s->Put("big/eight", "small now").ok());
  EXPECT_EQ(*s->Get("big/eight"), "small now");
}

TEST_F(AzureStoreTest, ListPagesWithASmallPageSize) {
  AzureOptions paged;
  paged.list_page_size = 17;  // 14 pages
  auto p = Make(paged);
  ExpectListingPages(*store_, {store_.get(), p.get()}, 230);
}

TEST_F(AzureStoreTest, WrongKeyGivesTheServersMessage) {
  AzureStore bad(Location("", Base64Encode("not the key of this account")));
  Status put = bad.Put("k", "v");
  EXPECT_EQ(put.code(), EACCES) << put.ToString();
  // Azure says AuthenticationFailed, Azurite AuthorizationFailure; the text is the same.
  EXPECT_TRUE(put.message().starts_with("PUT wasb://" + container_ +
                                        "/k: AuthorizationFailure: "
                                        "Server failed to authenticate the request. Make sure "
                                        "the value of the Authorization header is formed "
                                        "correctly including the signature."))
      << put.message();
  EXPECT_EQ(put.message().find("RequestId"), std::string::npos) << "one line: " << put.message();
  EXPECT_EQ(bad.Get("k").error().code(), EACCES);
  EXPECT_EQ(bad.List("").error().code(), EACCES);
  auto head = bad.Head("k");  // no body: the code comes from x-ms-error-code
  EXPECT_EQ(head.error().code(), EACCES) << head.error().ToString();
  EXPECT_NE(head.error().message().find("AuthorizationFailure"), std::string::npos);
  Status create = bad.Create();
  EXPECT_EQ(create.code(), EACCES);
  EXPECT_NE(create.message().find("AuthorizationFailure"), std::string::npos) << create.message();
  EXPECT_EQ(bad.Delete("k").code(), EACCES);
}

TEST_F(AzureStoreTest, SasTokens) {
  AzureStore sas(Location("", "", "?" + AccountSas("rwdlac")));
  ASSERT_TRUE(sas.Put("sas/k", "via sas").ok());
  EXPECT_EQ(*sas.Get("sas/k", 4), "sas");
  EXPECT_EQ(sas.List("sas/")->size(), 1u);
  EXPECT_TRUE(sas.Delete("sas/k").ok());

  AzureStore read_only(Location("", "", AccountSas("rl")));
  ASSERT_TRUE(store_->Put("ro", "x").ok());
  EXPECT_EQ(*read_only.Get("ro"), "x");
  Status put = read_only.Put("ro", "y");
  EXPECT_EQ(put.code(), EACCES) << put.ToString();
  EXPECT_NE(put.message().find("AuthorizationPermissionMismatch"), std::string::npos)
      << put.message();

  std::string forged = AccountSas("rwdlac");
  forged.replace(forged.find("sp=rwdlac"), 9, "sp=rwdlacu");  // the signature no longer matches
  Status bad = AzureStore(Location("", "", forged)).Put("k", "v");
  EXPECT_EQ(bad.code(), EACCES) << bad.ToString();
  EXPECT_NE(bad.message().find("AuthorizationFailure"), std::string::npos) << bad.message();
}

TEST_F(AzureStoreTest, MissingContainer) {
  AzureStore s(Location("no-such-container"));
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), ENOENT);
  EXPECT_NE(put.message().find("ContainerNotFound: The specified container does not exist."),
            std::string::npos)
      << put.message();
  EXPECT_EQ(s.Get("k").error().code(), ENOENT);
  auto head = s.Head("k");
  EXPECT_EQ(head.error().code(), ENOENT);
  EXPECT_NE(head.error().message().find("ContainerNotFound"), std::string::npos);
  auto list = s.List("");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), ENOENT);
  Status del = s.Delete("k");
  EXPECT_EQ(del.code(), ENOENT) << "a missing container is not a missing blob";
  EXPECT_NE(del.message().find("ContainerNotFound"), std::string::npos);
}

TEST_F(AzureStoreTest, CreateMakesANewContainer) {
  AzureStore s(Location(container_.substr(0, 58) + "-new"));
  EXPECT_EQ(s.List("").error().code(), ENOENT);
  ASSERT_TRUE(s.Create().ok());
  ASSERT_TRUE(s.Create().ok()) << "creating an existing container succeeds";
  ASSERT_TRUE(s.Put("k", "v").ok());
  EXPECT_EQ(*s.Get("k"), "v");
  auto r = s.Request("GET", "", {{"restype", "container"}});  // Get Container Properties
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(AzureStoreTest, DeadEndpointFailsWithinTheTimeout) {
  ExpectDeadEndpointFails([this](const std::string& host) {
    AzureOptions opts;
    opts.http.connect_timeout_ms = 500;
    opts.http.timeout_ms = 500;
    AzureLocation loc = Location();
    loc.host = host;
    return std::make_unique<AzureStore>(loc, opts);
  });
}

TEST_F(AzureStoreTest, RangedGetPastTheEnd) { ExpectRangesPastTheEnd(*store_); }

TEST_F(AzureStoreTest, KeysThatNeedEncoding) {
  // Without objbench's \x1f: Azurite stores such a blob but answers List Blobs with HTTP 500
  // (Azure itself sends the name percent-encoded, <Name Encoded="true">, which
  // azure_reply_test.cc checks).
  ExpectKeysRoundTrip(*store_, KeysThatNeedEncoding(/*with_control_char=*/false));
}

// The factory registered as `wasb` and `azure`, with the connection string JuiceFS reads.
TEST_F(AzureStoreTest, OpenedByNameWithAConnectionString) {
  for (const char* storage : {"wasb", "azure"}) {
    StoreConfig c;
    c.storage = storage;
    c.bucket = "http://" + container_;  // JuiceFS's form: the container is the host
    ::setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_->ConnectionString().c_str(), 1);
    auto s = OpenObjectStore(c);  // reads the variable here, and only here
    ::unsetenv("AZURE_STORAGE_CONNECTION_STRING");
    ASSERT_TRUE(s.has_value()) << storage << ": " << s.error().ToString();
    Status put = (*s)->Put(std::string("by-name/") + storage, storage);
    EXPECT_TRUE(put.ok()) << storage << ": " << put.ToString();
    EXPECT_EQ(*store_->Get(std::string("by-name/") + storage), storage);
  }
}

TEST(AzureStoreNotAzureTest, EndpointThatIsNotAnObjectStore) {
  HtmlServer html;
  ASSERT_GT(html.port(), 0);
  StoreConfig c;
  c.storage = "wasb";
  c.bucket = "http://127.0.0.1:" + std::to_string(html.port()) + "/acct/box";
  c.secret_key = Base64Encode("key");
  AzureStore s(*ParseAzureLocation(c, FakeEnv()));
  Status create = s.Create();
  EXPECT_EQ(create.code(), EIO);
  EXPECT_NE(create.message().find("not an Azure Blob endpoint"), std::string::npos)
      << create.message();
  EXPECT_EQ(s.List("").error().code(), EIO);
  Status put = s.Put("k", "v");
  EXPECT_EQ(put.code(), EIO);
  EXPECT_NE(put.message().find("HTTP 405"), std::string::npos) << put.message();
}

}  // namespace
}  // namespace tierfs::object
