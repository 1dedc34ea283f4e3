// The OAuth 2.0 flow of the gs storage (src/object/gcs_auth.h) for real: a token endpoint of
// the test's own (cpp-httplib) checks each JWT bearer assertion as Google's would (RS256
// signature verified with the public key the openssl command derived from the test's
// service-account key, then header and claims) and hands out tokens; the same server
// forwards every other request to a real fake-gcs-server only when it carries the newest
// token as "Authorization: Bearer". fake-gcs-server itself checks nothing.
#include "object/gcs_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "fake_env.h"
#include "gcs_server.h"
#include "local_http_server.h"
#include "object/gcs_store.h"
#include "store_checks.h"
#include "test_keys.h"
#include "util/base64.h"

namespace tierfs::object {
namespace {

using nlohmann::json;
using ::tierfs::testing::GcsServer;
using ::tierfs::testing::LocalHttpServer;
using namespace testing;  // NOLINT: TestKeys and the store_checks.h helpers

std::optional<std::string> Base64UrlDecode(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s += '=';
  return Base64Decode(s);
}

// Google's token endpoint and storage front door, in miniature.
class FakeGoogle {
 public:
  static constexpr const char* kEmail = "tierfs-test@proj-1.iam.gserviceaccount.com";
  static constexpr const char* kKeyId = "kid-0123";

  // `public_pem`: the key assertions must be signed with; `gcs`: where storage requests go.
  FakeGoogle(const std::string& public_pem, std::string gcs) : gcs_(std::move(gcs)) {
    BIO* bio = BIO_new_mem_buf(public_pem.data(), int(public_pem.size()));
    pub_ = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    http_.server().Post(
        "/token", [this](const httplib::Request& req, httplib::Response& res) { Token(req, res); });
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      Forward(req, res);
    };
    http_.server().Get(".*", forward);
    http_.server().Post(".*", forward);
    http_.server().Put(".*", forward);
    http_.server().Delete(".*", forward);
    started_ = http_.Start();
  }
  ~FakeGoogle() { EVP_PKEY_free(pub_); }

  bool ok() const { return started_ && pub_ != nullptr; }
  std::string url() const { return http_.url(); }
  std::string token_uri() const { return url() + "/token"; }
  // A service-account key file's JSON for `private_pem`, pointing at this token endpoint.
  std::string KeyJson(const std::string& private_pem) const {
    return json{{"type", "service_account"},  {"project_id", "proj-1"}, {"private_key_id", kKeyId},
                {"private_key", private_pem}, {"client_email", kEmail}, {"token_uri", token_uri()}}
        .dump();
  }

  std::atomic<int> tokens_issued{0};
  std::atomic<int> resumable_chunks{0};
  std::atomic<int> forwarded{0};
  int64_t expires_in = 3600;
  std::mutex mu;
  json last_claims;  // guarded by mu
  json last_header;  // guarded by mu

 private:
  static void Fail(httplib::Response& res, int status, const std::string& error,
                   const std::string& why) {
    res.status = status;
    res.set_content(json{{"error", error}, {"error_description", why}}.dump(), "application/json");
  }

  bool Verify(const std::string& signing_input, const std::string& sig) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub_) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                            sig.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()),
                            signing_input.size()) == 1;
  }

  void Token(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type") != "application/x-www-form-urlencoded") {
      return Fail(res, 400, "invalid_request", "not a form");
    }
    if (req.get_param_value("grant_type") == "refresh_token") {
      if (req.get_param_value("refresh_token") != "rt-1" ||
          req.get_param_value("client_id") != "cid") {
        return Fail(res, 400, "invalid_grant", "Bad Request");
      }
      return Issue(res);
    }
    if (req.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return Fail(res, 400, "unsupported_grant_type",
                  "Invalid grant_type: " + req.get_param_value("grant_type"));
    }
    std::string jwt = req.get_param_value("assertion");
    size_t d1 = jwt.find('.'), d2 = jwt.rfind('.');
    if (d1 == std::string::npos || d1 == d2) return Fail(res, 400, "invalid_grant", "Invalid JWT.");
    auto header = Base64UrlDecode(jwt.substr(0, d1));
    auto claims = Base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1));
    auto sig = Base64UrlDecode(jwt.substr(d2 + 1));
    if (!header || !claims || !sig) return Fail(res, 400, "invalid_grant", "Invalid JWT.");
    if (!Verify(jwt.substr(0, d2), *sig))
      return Fail(res, 400, "invalid_grant", "Invalid JWT Signature.");
    json h = json::parse(*header, nullptr, false), c = json::parse(*claims, nullptr, false);
    {
      std::lock_guard lock(mu);
      last_header = h;
      last_claims = c;
    }
    if (h.value("alg", "") != "RS256" || h.value("typ", "") != "JWT" ||
        h.value("kid", "") != kKeyId) {
      return Fail(res, 400, "invalid_grant", "Invalid JWT header.");
    }
    if (c.value("iss", "") != kEmail || c.value("aud", "") != token_uri() ||
        c.value("scope", "") != std::string(gcs::kStorageScope)) {
      return Fail(res, 400, "invalid_grant", "Invalid JWT claims.");
    }
    if (c.value("exp", 0) - c.value("iat", 0) != 3600) {
      return Fail(res, 400, "invalid_grant", "Invalid JWT: exp must be iat + 3600.");
    }
    Issue(res);
  }

  void Issue(httplib::Response& res) {
    int n = ++tokens_issued;
    res.set_content(json{{"access_token", "ya29.token-" + std::to_string(n)},
                         {"expires_in", expires_in},
                         {"token_type", "Bearer"}}
                        .dump(),
                    "application/json");
  }

  // The storage request, passed to fake-gcs-server when it bears the newest token.
  void Forward(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") !=
        "Bearer ya29.token-" + std::to_string(tokens_issued.load())) {
      res.status = 401;
      res.set_content(
          R"({"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}})",
          "application/json");
      return;
    }
    if (req.method == "PUT" && req.target.find("upload_id=") != std::string::npos)
      ++resumable_chunks;
    ++forwarded;
    net::http::HttpRequest out;
    out.method = req.method;
    out.url = gcs_ + req.target;
    // Our own Host, so that the session URIs fake-gcs-server hands out point back here.
    out.headers.emplace_back("Host", url().substr(7));
    for (const char* h : {"Content-Type", "Content-Range", "Range", "X-Upload-Content-Type",
                          "X-Upload-Content-Length"}) {
      if (req.has_header(h)) out.headers.emplace_back(h, req.get_header_value(h));
    }
    out.body = req.body;
    auto r = client_.Do(out);
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    // httplib would cut the Range out of the reply once more: fake-gcs-server did it already.
    const_cast<httplib::Request&>(req).ranges.clear();
    for (const char* h : {"location", "range", "content-range"}) {
      if (!r->Header(h).empty()) res.set_header(h, std::string(r->Header(h)));
    }
    res.set_content(r->body, std::string(r->Header("content-type")));
  }

  std::string gcs_;
  EVP_PKEY* pub_ = nullptr;
  net::http::HttpClient client_;
  LocalHttpServer http_;
  bool started_ = false;
};

class GcsAuthTest : public WithTestKeys<> {
 protected:
  void SetUp() override {
    WithTestKeys::SetUp();
    TIERFS_REQUIRE_FAKE_GCS();
    std::string why;
    gcs_ = GcsServer::Shared(&why);
    ASSERT_NE(gcs_, nullptr) << why;
    ASSERT_TRUE(keys_->Run("openssl pkey -in " + keys_->Path("pkcs8.pem") + " -pubout -out " +
                           keys_->Path("sa.pub")));
    google_ = std::make_unique<FakeGoogle>(TestKeys::Read(keys_->Path("sa.pub")), gcs_->endpoint());
    ASSERT_TRUE(google_->ok());
    bucket_ = NameForThisTest("gat-");
  }

  // A store behind the fake Google front door, signing in with the key file `pem`.
  std::unique_ptr<GcsStore> Store(const std::string& pem, GcsOptions opts = {}) {
    StoreConfig c;
    c.storage = "gs";
    c.bucket = google_->url() + "/" + bucket_;
    c.secret_key = google_->KeyJson(keys_->Pem(pem));  // the key file's text itself
    auto loc = ParseGcsLocation(c, FakeEnv());
    EXPECT_TRUE(loc.has_value()) << loc.error().ToString();
    if (!loc) return nullptr;
    EXPECT_TRUE(loc->credentials.has_value());
    return std::make_unique<GcsStore>(std::move(*loc), std::move(opts));
  }

  GcsServer* gcs_ = nullptr;
  std::unique_ptr<FakeGoogle> google_;
  std::string bucket_;
};

TEST_F(GcsAuthTest, ServiceAccountJwtIsTradedForABearerToken) {
  GcsOptions opts;
  opts.resumable_threshold = 1 << 20;
  opts.chunk_size = 256 << 10;
  auto store = Store("pkcs8.pem", opts);
  ASSERT_TRUE(store);
  Status created = store->Create();
  ASSERT_TRUE(created.ok()) << created.ToString();
  ASSERT_TRUE(store->Put("small", "hello").ok());
  std::string big = RandomBytes((1 << 20) + 100, 7);  // 5 chunks of 256 KiB, the last short
  Status put = store->Put("big", big);
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(google_->resumable_chunks.load(), 5);
  EXPECT_EQ(*store->Get("big", 1000, 10), big.substr(1000, 10));
  EXPECT_EQ(*store->Get("small"), "hello");
  EXPECT_EQ(store->List("")->size(), 2u);
  EXPECT_TRUE(store->Delete("small").ok());
  EXPECT_EQ(google_->tokens_issued.load(), 1) << "one token, cached for every request";
  EXPECT_GE(google_->forwarded.load(), 12);
  std::lock_guard lock(google_->mu);
  EXPECT_EQ(google_->last_claims.value("iss", ""), FakeGoogle::kEmail);
  EXPECT_EQ(google_->last_claims.value("scope", ""),
            "https://www.googleapis.com/auth/devstorage.full_control");
  EXPECT_NEAR(double(google_->last_claims.value("iat", int64_t(0))), double(std::time(nullptr)),
              60);
}

TEST_F(GcsAuthTest, TokenIsRefreshedBeforeItExpires) {
  std::atomic<std::time_t> now{std::time(nullptr)};
  GcsOptions opts;
  opts.now = [&] { return now.load(); };
  auto store = Store("pkcs8.pem", opts);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Create().ok());
  EXPECT_EQ(google_->tokens_issued.load(), 1);
  now += 3600 - gcs::TokenSource::kRefreshMargin - 1;  // still more than the margin left
  ASSERT_TRUE(store->Put("a", "1").ok());
  EXPECT_EQ(google_->tokens_issued.load(), 1);
  now += 2;  // within the margin: the next request gets a new token (the old one is refused now)
  Status st = store->Put("b", "2");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(google_->tokens_issued.load(), 2);
}

TEST_F(GcsAuthTest, AnotherKeyIsRefusedWithTheTokenEndpointsMessage) {
  auto store = Store("other.pem");  // not the key whose public half the endpoint knows
  ASSERT_TRUE(store);
  Status st = store->Put("k", "v");
  EXPECT_EQ(st.code(), EACCES) << st.ToString();
  EXPECT_EQ(st.message(), "PUT gs://" + bucket_ + "/k: access token from " + google_->token_uri() +
                              ": HTTP 400: invalid_grant: Invalid JWT Signature.");
  EXPECT_EQ(store->List("").error().code(), EACCES);
  EXPECT_EQ(google_->forwarded.load(), 0);

  // Without a token the storage itself refuses, with its own words.
  StoreConfig c;
  c.storage = "gs";
  c.bucket = google_->url() + "/" + bucket_;
  GcsStore anonymous(*ParseGcsLocation(c, FakeEnv()));
  Status anon = anonymous.Put("k", "v");
  EXPECT_EQ(anon.code(), EACCES);
  EXPECT_EQ(anon.message(), "PUT gs://" + bucket_ + "/k: authError: Invalid Credentials");
}

TEST_F(GcsAuthTest, GcloudUserRefreshToken) {
  gcs::GoogleCredentials user;
  user.type = "authorized_user";
  user.client_id = "cid";
  user.client_secret = "secret";
  user.refresh_token = "rt-1";
  user.token_uri = google_->token_uri();
  net::http::HttpClient http;
  gcs::TokenSource source(user, &http, [] { return std::time(nullptr); });
  auto token = source.Token();
  ASSERT_TRUE(token.has_value()) << token.error().ToString();
  EXPECT_EQ(*token, "ya29.token-1");
  EXPECT_EQ(*source.Token(), "ya29.token-1");
  user.refresh_token = "revoked";
  gcs::TokenSource bad(user, &http, [] { return std::time(nullptr); });
  EXPECT_EQ(bad.Token().error().code(), EACCES);
  EXPECT_NE(bad.Token().error().message().find("invalid_grant: Bad Request"), std::string::npos);
}

}  // namespace
}  // namespace tierfs::object
