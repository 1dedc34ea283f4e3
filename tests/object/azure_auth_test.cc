// object/azure_auth.h: the Shared Key string-to-sign laid out as Microsoft's "Authorize with
// Shared Key" describes it, the signature checked against the openssl command's HMAC, and
// RFC 1123 dates. (Azurite checks real signatures in azure_store_test.cc.)
#include "object/azure_auth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "util/base64.h"

namespace tierfs::object::azure {
namespace {

TEST(AzureAuthTest, StringToSignLayout) {
  Headers headers = {
      {"x-ms-version", "2021-08-06"},    {"X-MS-Date", "Fri, 26 Jun 2015 23:39:12 GMT"},
      {"x-ms-blob-type", "BlockBlob"},   {"Content-Type", "application/xml"},
      {"x-ms-meta-Spaced", "  a   b  "}, {"If-Match", "\"etag\""}};
  Query query = {{"comp", "blocklist"}, {"Timeout", "30"}, {"a", "2"}, {"a", "1"}};
  std::string sts =
      StringToSign("PUT", "myaccount", "/mycontainer/dir/my%20blob", query, headers, 42);
  EXPECT_EQ(sts,
            "PUT\n"
            "\n"                 // Content-Encoding
            "\n"                 // Content-Language
            "42\n"               // Content-Length
            "\n"                 // Content-MD5
            "application/xml\n"  // Content-Type
            "\n"                 // Date
            "\n"                 // If-Modified-Since
            "\"etag\"\n"         // If-Match
            "\n"                 // If-None-Match
            "\n"                 // If-Unmodified-Since
            "\n"                 // Range
            "x-ms-blob-type:BlockBlob\n"
            "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\n"
            "x-ms-meta-spaced:a b\n"
            "x-ms-version:2021-08-06\n"
            "/myaccount/mycontainer/dir/my%20blob\n"
            "a:1,2\n"
            "comp:blocklist\n"
            "timeout:30");
}

TEST(AzureAuthTest, EmptyBodyAndNoQuery) {
  // Content-Length 0 signs as "" (versions 2015-02-21 and later); the emulator's path-style
  // resource repeats the account.
  std::string sts = StringToSign("GET", "devstoreaccount1", "/devstoreaccount1/c", {},
                                 {{"x-ms-date", "D"}, {"x-ms-version", "V"}}, 0);
  EXPECT_EQ(sts,
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:V\n/devstoreaccount1/"
            "devstoreaccount1/c");
}

TEST(AzureAuthTest, SignatureIsHmacSha256OfTheDecodedKey) {
  auto key = ParseSharedKey("acct", "c2VjcmV0LWtleS1ieXRlcw==");  // "secret-key-bytes"
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key, "secret-key-bytes");
  const std::string sts = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\n/acct/c";
  // The same HMAC from the openssl command, as an independent implementation.
  std::string cmd =
      "printf 'GET\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nx-ms-date:D\\n/acct/c' | "
      "openssl dgst -sha256 -mac HMAC -macopt key:secret-key-bytes -binary | base64";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[128] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ASSERT_EQ(::pclose(p), 0) << "openssl missing? (apt-get install openssl)";
  std::string want(buf, n);
  while (!want.empty() && want.back() == '\n') want.pop_back();
  EXPECT_EQ(SharedKeyAuthorization(*key, sts), "SharedKey acct:" + want);
}

TEST(AzureAuthTest, KeyMustBeBase64) {
  auto bad = ParseSharedKey("acct", "not base64!");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), EINVAL);
  EXPECT_NE(bad.error().message().find("'acct'"), std::string::npos);
  EXPECT_EQ(bad.error().message().find("not base64!"), std::string::npos) << "never print the key";
}

TEST(AzureAuthTest, HttpDateIsRfc1123InGmt) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 7231's example
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace tierfs::object::azure
