// --bucket and credential parsing for wasb/azure (src/object/azure_config.h): the forms
// JuiceFS's pkg/object/azure.go newWasb accepts, the portal's container URL, the emulator's
// path style, connection strings, and the refusals. The environment is a map.
#include "object/azure_config.h"

#include <gtest/gtest.h>

#include "fake_env.h"
#include "util/base64.h"

namespace tierfs::object {
namespace {

using testing::FakeEnv;

const std::string kKey64 = Base64Encode("0123456789abcdef");

StoreConfig Config(std::string bucket, std::string ak = "myaccount", std::string sk = kKey64,
                   std::string token = "") {
  StoreConfig c;
  c.storage = "wasb";
  c.bucket = std::move(bucket);
  c.access_key = std::move(ak);
  c.secret_key = std::move(sk);
  c.session_token = std::move(token);
  return c;
}

struct Expect {
  std::string bucket_text;
  std::string scheme, host, base_path, account, container;
};

TEST(AzureConfigTest, BucketForms) {
  const std::vector<Expect> cases = {
      // JuiceFS: the container is the first label, the account the access key.
      {"https://mycontainer.core.windows.net", "https", "myaccount.blob.core.windows.net", "",
       "myaccount", "mycontainer"},
      {"mycontainer.blob.core.windows.net", "https", "myaccount.blob.core.windows.net", "",
       "myaccount", "mycontainer"},
      {"https://jfs.core.chinacloudapi.cn/", "https", "myaccount.blob.core.chinacloudapi.cn", "",
       "myaccount", "jfs"},
      {"mycontainer", "https", "myaccount.blob.core.windows.net", "", "myaccount", "mycontainer"},
      {"http://c-1.blob.local.test:8080", "http", "myaccount.blob.local.test:8080", "", "myaccount",
       "c-1"},
      // The portal's container URL.
      {"https://myaccount.blob.core.windows.net/data", "https", "myaccount.blob.core.windows.net",
       "", "myaccount", "data"},
      // An emulator, path style.
      {"http://127.0.0.1:10000/myaccount/vol", "http", "127.0.0.1:10000", "/myaccount", "myaccount",
       "vol"},
  };
  for (const Expect& e : cases) {
    auto loc = ParseAzureLocation(Config(e.bucket_text), FakeEnv());
    ASSERT_TRUE(loc.has_value()) << e.bucket_text << ": " << loc.error().ToString();
    EXPECT_EQ(loc->scheme, e.scheme) << e.bucket_text;
    EXPECT_EQ(loc->host, e.host) << e.bucket_text;
    EXPECT_EQ(loc->base_path, e.base_path) << e.bucket_text;
    EXPECT_EQ(loc->account, e.account) << e.bucket_text;
    EXPECT_EQ(loc->container, e.container) << e.bucket_text;
    EXPECT_EQ(loc->key, "0123456789abcdef");
    EXPECT_EQ(loc->Describe(), "wasb://" + e.container + "/");
  }
}

TEST(AzureConfigTest, AccountFromTheUrlOrTheEnvironment) {
  auto loc =
      ParseAzureLocation(Config("http://127.0.0.1:10000/devstoreaccount1/c0n", ""), FakeEnv());
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->account, "devstoreaccount1");
  auto env = FakeEnv({{"AZURE_STORAGE_ACCOUNT", "envacct"}, {"AZURE_STORAGE_KEY", kKey64}});
  loc = ParseAzureLocation(Config("https://box.core.windows.net", "", ""), env);
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->host, "envacct.blob.core.windows.net");
  EXPECT_EQ(loc->key, "0123456789abcdef");
  // Flags win over the environment.
  loc = ParseAzureLocation(Config("https://box.core.windows.net"), env);
  EXPECT_EQ(loc->account, "myaccount");
}

TEST(AzureConfigTest, SasToken) {
  for (const char* token : {"?sv=2021-08-06&sig=abc%2B", "sv=2021-08-06&sig=abc%2B"}) {
    auto loc =
        ParseAzureLocation(Config("https://c0n.core.windows.net", "acct", "", token), FakeEnv());
    ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
    EXPECT_EQ(loc->sas, "sv=2021-08-06&sig=abc%2B");
    EXPECT_EQ(loc->key, "");
  }
  auto env = FakeEnv({{"AZURE_STORAGE_SAS_TOKEN", "?sv=x&sig=y"}});
  auto loc = ParseAzureLocation(Config("https://c0n.core.windows.net", "acct", ""), env);
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->sas, "sv=x&sig=y");
}

TEST(AzureConfigTest, ConnectionStringOverridesTheEndpointAndCredentials) {
  auto env = FakeEnv(
      {{"AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
            std::string(kAzuriteKey) + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"}});
  // JuiceFS's usage: --bucket http://CONTAINER; the flags' credentials are ignored.
  for (const char* bucket : {"http://vol", "http://127.0.0.1:9/other/vol", "vol"}) {
    auto loc = ParseAzureLocation(Config(bucket, "ignored", "", ""), env);
    ASSERT_TRUE(loc.has_value()) << bucket << ": " << loc.error().ToString();
    EXPECT_EQ(loc->scheme, "http");
    EXPECT_EQ(loc->host, "127.0.0.1:10000");
    EXPECT_EQ(loc->base_path, "/devstoreaccount1");
    EXPECT_EQ(loc->account, "devstoreaccount1");
    EXPECT_EQ(loc->container, "vol");
    EXPECT_EQ(loc->key, *Base64Decode(kAzuriteKey));
  }
  auto suffix =
      FakeEnv({{"AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct;AccountKey=" + kKey64 +
                                                       ";EndpointSuffix=core.chinacloudapi.cn"}});
  auto loc = ParseAzureLocation(Config("vol"), suffix);
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->scheme, "https");
  EXPECT_EQ(loc->host, "acct.blob.core.chinacloudapi.cn");
  auto dev = FakeEnv({{"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"}});
  loc = ParseAzureLocation(Config("vol"), dev);
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->host, "127.0.0.1:10000");
  EXPECT_EQ(loc->account, "devstoreaccount1");
  auto sas = FakeEnv(
      {{"AZURE_STORAGE_CONNECTION_STRING",
        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=2"}});
  loc = ParseAzureLocation(Config("vol"), sas);
  ASSERT_TRUE(loc.has_value()) << loc.error().ToString();
  EXPECT_EQ(loc->sas, "sv=1&sig=2");
  EXPECT_EQ(loc->base_path, "");
}

TEST(AzureConfigTest, Refusals) {
  struct Bad {
    StoreConfig config;
    std::string why;
  };
  const std::vector<Bad> cases = {
      {Config(""), "no container"},
      {Config("ftp://c0n.core.windows.net"), "scheme must be http or https"},
      {Config("https://u:p@c0n.core.windows.net"), "credentials belong in"},
      {Config("https://Upper.core.windows.net"), "bad container name 'Upper'"},
      {Config("https://a--b.core.windows.net"), "bad container name"},
      {Config("https://ab.core.windows.net"), "bad container name"},
      {Config("https://host/c0n"), "ACCOUNT.blob.DOMAIN"},
      {Config("http://127.0.0.1:1/a/b/c"), "too many path segments"},
      {Config("https://other.blob.core.windows.net/c0n"),
       "names account 'myaccount' but the URL names 'other'"},
  };
  for (const Bad& b : cases) {
    auto loc = ParseAzureLocation(b.config, FakeEnv());
    ASSERT_FALSE(loc.has_value()) << b.config.bucket;
    EXPECT_EQ(loc.error().code(), EINVAL);
    EXPECT_NE(loc.error().message().find(b.why), std::string::npos) << loc.error().message();
    EXPECT_TRUE(loc.error().message().starts_with("invalid --bucket '")) << loc.error().message();
  }
}

TEST(AzureConfigTest, CredentialRefusals) {
  struct Bad {
    StoreConfig config;
    std::map<std::string, std::string> env;
    std::string why;
  };
  const std::vector<Bad> cases = {
      {Config("https://c0n.core.windows.net", ""), {}, "no storage account"},
      {Config("https://c0n.core.windows.net", "acct", ""), {}, "none for storage account 'acct'"},
      {Config("https://c0n.core.windows.net", "acct", "%%%"),
       {},
       "the account key of Azure storage account 'acct' is not base64"},
      {Config("c0n"),
       {{"AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;garbage"}},
       "AZURE_STORAGE_CONNECTION_STRING: 'garbage' is not Key=Value"},
      {Config("c0n"),
       {{"AZURE_STORAGE_CONNECTION_STRING", "AccountKey=" + kKey64}},
       "AZURE_STORAGE_CONNECTION_STRING has neither AccountName nor BlobEndpoint"},
  };
  for (const Bad& b : cases) {
    auto loc = ParseAzureLocation(b.config, FakeEnv(b.env));
    ASSERT_FALSE(loc.has_value()) << b.why;
    EXPECT_EQ(loc.error().code(), EINVAL);
    EXPECT_TRUE(loc.error().message().starts_with("credentials for wasb://c0n/: " + b.why))
        << loc.error().message();
  }
}

}  // namespace
}  // namespace tierfs::object
