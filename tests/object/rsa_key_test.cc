// RsaKey: every PEM form JuiceFS accepts, the passphrase rules, and RSA-OAEP parameters checked
// against the openssl command (SHA-256, MGF1 SHA-256, label "keys"), independently of our code.
#include "object/rsa_key.h"

#include <gtest/gtest.h>

#include "test_keys.h"

namespace tierfs::object {
namespace {

using testing::kTestPassphrase;
using testing::TestKeys;

using RsaKeyTest = testing::WithTestKeys<>;

const std::string kDataKey(32, '\x5a');

TEST_F(RsaKeyTest, EveryFormOfOneKeyUnwrapsWhatAnotherWrapped) {
  auto pkcs8 = Key("pkcs8.pem");
  auto pkcs1 = Key("pkcs1.pem");
  auto enc8 = Key("enc-pkcs8.pem", kTestPassphrase);
  auto legacy = Key("enc-legacy.pem", kTestPassphrase);
  ASSERT_TRUE(pkcs8 && pkcs1 && enc8 && legacy);
  EXPECT_EQ(pkcs8->ModulusBytes(), 256u);
  auto wrapped = pkcs8->Wrap(kDataKey);
  ASSERT_TRUE(wrapped.has_value()) << wrapped.error().ToString();
  EXPECT_EQ(wrapped->size(), 256u);
  for (const auto& k : {pkcs1, enc8, legacy}) {
    auto back = k->Unwrap(*wrapped);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(*back, kDataKey);
  }
}

TEST_F(RsaKeyTest, EncryptedKeyWithoutPassphraseSaysWhatToSet) {
  for (const char* file : {"enc-pkcs8.pem", "enc-legacy.pem"}) {
    auto k = RsaKey::FromPem(keys_->Pem(file), "");
    ASSERT_FALSE(k.has_value()) << file;
    EXPECT_EQ(k.error().code(), EINVAL);
    EXPECT_EQ(k.error().message(), kNeedPassphrase) << file;
  }
}

TEST_F(RsaKeyTest, WrongPassphraseIsRefused) {
  for (const char* file : {"enc-pkcs8.pem", "enc-legacy.pem"}) {
    auto k = RsaKey::FromPem(keys_->Pem(file), "not it");
    ASSERT_FALSE(k.has_value()) << file;
    EXPECT_EQ(k.error().code(), EINVAL);
    EXPECT_NE(k.error().message().find("password incorrect"), std::string::npos)
        << k.error().message();
  }
}

TEST_F(RsaKeyTest, PlainKeyIgnoresAPassphrase) {
  EXPECT_TRUE(Key("pkcs8.pem", "unused") != nullptr);
  EXPECT_TRUE(Key("pkcs1.pem", "unused") != nullptr);
}

TEST_F(RsaKeyTest, NotAnRsaPrivateKeyIsRefused) {
  auto ec = RsaKey::FromPem(keys_->Pem("ec.pem"), "");
  ASSERT_FALSE(ec.has_value());
  EXPECT_EQ(ec.error().code(), EINVAL);
  EXPECT_NE(ec.error().message().find("only RSA"), std::string::npos) << ec.error().message();
  EXPECT_EQ(RsaKey::FromPem("not a pem file", "").error().code(), EINVAL);
  std::string truncated = keys_->Pem("pkcs8.pem").substr(0, 200);
  EXPECT_EQ(RsaKey::FromPem(truncated, "").error().code(), EINVAL);
}

TEST_F(RsaKeyTest, AnotherKeyCannotUnwrap) {
  auto wrapped = Key("pkcs8.pem")->Wrap(kDataKey);
  ASSERT_TRUE(wrapped.has_value());
  auto back = Key("other.pem")->Unwrap(*wrapped);
  ASSERT_FALSE(back.has_value());
  EXPECT_EQ(back.error().code(), EIO);
}

// The parameters JuiceFS uses (rsa.EncryptOAEP(sha256, ..., label "keys")), spelled out to the
// openssl command: what we wrap it unwraps, what it wraps we unwrap, and without the label it
// fails (so the label is really in use).
constexpr const char* kOaepOpts =
    " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256";
constexpr const char* kLabelOpt = " -pkeyopt rsa_oaep_label:6b657973";  // hex of "keys"

TEST_F(RsaKeyTest, OaepParametersMatchTheOpensslCommand) {
  auto key = Key("pkcs8.pem");
  ASSERT_TRUE(key);
  auto wrapped = key->Wrap(kDataKey);
  ASSERT_TRUE(wrapped.has_value());
  TestKeys::Write(keys_->Path("wrapped.bin"), *wrapped);
  const std::string decrypt = "openssl pkeyutl -decrypt -inkey " + keys_->Path("pkcs8.pem") +
                              " -in " + keys_->Path("wrapped.bin") + kOaepOpts;
  ASSERT_TRUE(keys_->Run(decrypt + kLabelOpt + " -out " + keys_->Path("unwrapped.bin")));
  EXPECT_EQ(TestKeys::Read(keys_->Path("unwrapped.bin")), kDataKey);
  EXPECT_NE(std::system((decrypt + " -out /dev/null >/dev/null 2>&1").c_str()), 0)
      << "openssl unwrapped without the label";

  TestKeys::Write(keys_->Path("plain.bin"), kDataKey);
  ASSERT_TRUE(keys_->Run("openssl pkeyutl -encrypt -inkey " + keys_->Path("pkcs8.pem") +
                            " -in " + keys_->Path("plain.bin") + kOaepOpts + kLabelOpt +
                            " -out " + keys_->Path("theirs.bin")));
  auto back = key->Unwrap(TestKeys::Read(keys_->Path("theirs.bin")));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, kDataKey);
}

// RS256 (RSASSA-PKCS1-v1_5, SHA-256), as the service-account tokens of gcs_auth.h need it:
// the openssl command verifies it with the public key, and refuses it for other data.
TEST_F(RsaKeyTest, SignSha256VerifiesWithTheOpensslCommand) {
  auto key = Key("pkcs1.pem");
  ASSERT_TRUE(key);
  auto sig = key->SignSha256("header.claims");
  ASSERT_TRUE(sig.has_value()) << sig.error().ToString();
  EXPECT_EQ(sig->size(), 256u);
  TestKeys::Write(keys_->Path("sig.bin"), *sig);
  TestKeys::Write(keys_->Path("signed.txt"), "header.claims");
  TestKeys::Write(keys_->Path("other.txt"), "header.claimz");
  ASSERT_TRUE(keys_->Run("openssl pkey -in " + keys_->Path("pkcs8.pem") + " -pubout -out " +
                         keys_->Path("pub.pem")));
  const std::string verify = "openssl dgst -sha256 -verify " + keys_->Path("pub.pem") +
                             " -signature " + keys_->Path("sig.bin") + " ";
  EXPECT_TRUE(keys_->Run(verify + keys_->Path("signed.txt")));
  EXPECT_NE(std::system((verify + keys_->Path("other.txt") + " >/dev/null 2>&1").c_str()), 0);
}

}  // namespace
}  // namespace tierfs::object
