// --bucket and credential parsing for gs (src/object/gcs_config.h): JuiceFS's forms
// (pkg/object/gs.go newGS), the emulator's endpoint, where credentials come from, and the
// refusals. The environment is a map; credentials files live in a temporary directory.
#include "object/gcs_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_env.h"

namespace tierfs::object {
namespace {

using testing::FakeEnv;

// A service account whose key is never used here (parsing does not touch the key).
const std::string kServiceAccount = R"({"type":"service_account","project_id":"proj-1",
  "private_key_id":"kid1","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
  "client_email":"sa@proj-1.iam.gserviceaccount.com","token_uri":"http://127.0.0.1:1/token"})";
const std::string kUser = R"({"type":"authorized_user","client_id":"cid","client_secret":"cs",
  "refresh_token":"rt"})";

class GcsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tierfs-gcscfg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + name).parent_path());
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
  static StoreConfig Config(std::string bucket, std::string secret = "") {
    StoreConfig c;
    c.storage = "gs";
    c.bucket = std::move(bucket);
    c.secret_key = std::move(secret);
    return c;
  }
  std::string dir_;
};

TEST_F(GcsConfigTest, JuiceFsBucketForms) {
  std::string key = Write("sa.json", kServiceAccount);
  auto env = FakeEnv({{"GOOGLE_APPLICATION_CREDENTIALS", key}});
  struct Case {
    std::string text, bucket, region;
  };
  for (const Case& c : {Case{"gs://mybucket", "mybucket", ""}, Case{"mybucket", "mybucket", ""},
                        Case{"gs://my-bucket.us-central1", "my-bucket", "us-central1"},
                        Case{"jfs_data.europe-west4", "jfs_data", "europe-west4"},
                        Case{"gs://mybucket/ignored/path", "mybucket", ""}}) {
    auto loc = ParseGcsLocation(Config(c.text), env);
    ASSERT_TRUE(loc.has_value()) << c.text << ": " << loc.error().ToString();
    EXPECT_EQ(loc->bucket, c.bucket) << c.text;
    EXPECT_EQ(loc->region, c.region) << c.text;
    EXPECT_EQ(loc->endpoint, "https://storage.googleapis.com");
    ASSERT_TRUE(loc->credentials.has_value());
    EXPECT_EQ(loc->credentials->client_email, "sa@proj-1.iam.gserviceaccount.com");
    EXPECT_EQ(loc->credentials->token_uri, "http://127.0.0.1:1/token");
    EXPECT_EQ(loc->credentials_source, key);
    EXPECT_EQ(loc->project, "proj-1");
    EXPECT_EQ(loc->Describe(), "gs://" + c.bucket + "/");
  }
}

TEST_F(GcsConfigTest, EmulatorHostMeansNoCredentials) {
  for (const char* emu : {"127.0.0.1:4443", "http://127.0.0.1:4443", "http://127.0.0.1:4443/"}) {
    auto env = FakeEnv({{"STORAGE_EMULATOR_HOST", emu},
                        {"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent.json"},
                        {"GOOGLE_CLOUD_PROJECT", "p"}});
    auto loc = ParseGcsLocation(Config("gs://bkt"), env);
    ASSERT_TRUE(loc.has_value()) << emu << ": " << loc.error().ToString();
    EXPECT_EQ(loc->endpoint, "http://127.0.0.1:4443");
    EXPECT_FALSE(loc->credentials.has_value());
    EXPECT_EQ(loc->project, "p");
  }
}

TEST_F(GcsConfigTest, CustomEndpoint) {
  auto loc = ParseGcsLocation(Config("http://127.0.0.1:4443/bkt"), FakeEnv());
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(loc->bucket, "bkt");
  EXPECT_FALSE(loc->credentials.has_value()) << "no --secret-key: unauthenticated";
  // With a key given, it signs in: the JSON text itself or a path.
  loc = ParseGcsLocation(Config("http://127.0.0.1:4443/bkt", kServiceAccount), FakeEnv());
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  ASSERT_TRUE(loc->credentials.has_value());
  EXPECT_EQ(loc->credentials_source, "--secret-key");
  loc = ParseGcsLocation(
      Config("https://storage.googleapis.com/bkt", Write("k.json", kServiceAccount)),
      FakeEnv({{"GOOGLE_CLOUD_PROJECT", "other"}}));
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->endpoint, "https://storage.googleapis.com");
  EXPECT_EQ(loc->project, "other") << "GOOGLE_CLOUD_PROJECT wins over the key's project";
}

TEST_F(GcsConfigTest, GcloudUserCredentials) {
  Write("home/.config/gcloud/application_default_credentials.json", kUser);
  auto loc = ParseGcsLocation(Config("gs://bkt"), FakeEnv({{"HOME", dir_ + "/home"}}));
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  ASSERT_TRUE(loc->credentials.has_value());
  EXPECT_EQ(loc->credentials->type, "authorized_user");
  EXPECT_EQ(loc->credentials->refresh_token, "rt");
  EXPECT_EQ(loc->credentials->token_uri, "https://oauth2.googleapis.com/token");
  Write("sdk/application_default_credentials.json", kUser);
  loc = ParseGcsLocation(Config("gs://bkt"), FakeEnv({{"CLOUDSDK_CONFIG", dir_ + "/sdk"}}));
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->credentials_source, dir_ + "/sdk/application_default_credentials.json");
}

TEST_F(GcsConfigTest, Refusals) {
  struct Bad {
    StoreConfig config;
    std::string why;
  };
  auto env = FakeEnv({{"GOOGLE_APPLICATION_CREDENTIALS", Write("sa.json", kServiceAccount)}});
  const std::vector<Bad> cases = {
      {Config(""), "no bucket"},
      {Config("s3://bkt"), "scheme must be gs"},
      {Config("gs://Upper"), "bad bucket name 'Upper'"},
      {Config("gs://ab"), "bad bucket name"},
      {Config("gs://-bad"), "bad bucket name"},
      {Config("http://127.0.0.1:1/"), "no bucket: give http://127.0.0.1:1/BUCKET"},
  };
  for (const Bad& b : cases) {
    auto loc = ParseGcsLocation(b.config, env);
    ASSERT_FALSE(loc.has_value()) << b.config.bucket;
    EXPECT_EQ(loc.error().code(), EINVAL);
    EXPECT_NE(loc.error().message().find(b.why), std::string::npos) << loc.error().message();
    EXPECT_TRUE(loc.error().message().starts_with("invalid --bucket '")) << loc.error().message();
  }
}

TEST_F(GcsConfigTest, CredentialRefusals) {
  struct Bad {
    StoreConfig config;
    std::string why;
  };
  const std::vector<Bad> cases = {
      {Config("gs://bkt", dir_ + "/missing.json"),
       "cannot read Google credentials file " + dir_ + "/missing.json"},
      {Config("gs://bkt", "{not json"), "Google credentials --secret-key: not a JSON object"},
      {Config("gs://bkt", R"({"type":"external_account"})"),
       "type 'external_account' is not supported"},
      {Config("gs://bkt", R"({"type":"service_account","private_key":"x"})"),
       "without \"client_email\""},
      {Config("gs://bkt"), "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS"},
  };
  for (const Bad& b : cases) {
    auto loc = ParseGcsLocation(b.config, FakeEnv({{"HOME", dir_ + "/nohome"}}));
    ASSERT_FALSE(loc.has_value()) << b.why;
    EXPECT_EQ(loc.error().code(), EINVAL);
    EXPECT_TRUE(loc.error().message().starts_with("credentials for gs://bkt/: "))
        << loc.error().message();
    EXPECT_NE(loc.error().message().find(b.why), std::string::npos) << loc.error().message();
  }
}

}  // namespace
}  // namespace tierfs::object
