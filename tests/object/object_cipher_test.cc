// ObjectCipher: the JuiceFS object layout (header, wrapped key, nonce, ciphertext || tag), both
// AEADs, and that any damage is EIO rather than wrong plaintext.
#include "object/object_cipher.h"

#include <gtest/gtest.h>

#include <random>

#include "test_keys.h"

namespace tierfs::object {
namespace {

class ObjectCipherTest : public testing::WithTestKeys<::testing::TestWithParam<CipherAlgo>> {
 protected:
  void SetUp() override {
    WithTestKeys::SetUp();
    cipher_ = Cipher("pkcs8.pem", GetParam());
    ASSERT_TRUE(cipher_);
  }
  static std::string Random(size_t n, uint32_t seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(gen());
    return s;
  }
  void ExpectEio(std::string_view stored, const std::string& what) {
    auto got = cipher_->Decrypt(stored);
    ASSERT_FALSE(got.has_value()) << what << ": decrypted to " << got->size() << " bytes";
    EXPECT_EQ(got.error().code(), EIO) << what;
  }

  std::shared_ptr<const ObjectCipher> cipher_;
};

TEST_P(ObjectCipherTest, RoundTripsWithTheJuicefsLayout) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{4096}, size_t{4} << 20}) {
    std::string plain = Random(n, static_cast<uint32_t>(n));
    auto stored = cipher_->Encrypt(plain);
    ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
    EXPECT_EQ(cipher_->Overhead(), 3u + 256 + 12 + 16);
    ASSERT_EQ(stored->size(), n + cipher_->Overhead());
    EXPECT_EQ(static_cast<uint8_t>((*stored)[0]), 0x01);  // u16 BE 256: the wrapped key
    EXPECT_EQ(static_cast<uint8_t>((*stored)[1]), 0x00);
    EXPECT_EQ(static_cast<uint8_t>((*stored)[2]), 12);    // the nonce
    if (n >= 64) {
      EXPECT_EQ(stored->find(plain.substr(0, 64)), std::string::npos);
    }
    auto back = cipher_->Decrypt(*stored);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_TRUE(*back == plain) << "size " << n;
  }
}

TEST_P(ObjectCipherTest, FreshDataKeyAndNonceForEveryObject) {
  auto a = cipher_->Encrypt("same bytes");
  auto b = cipher_->Encrypt("same bytes");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->substr(3, 256), b->substr(3, 256));   // wrapped keys (OAEP is randomised too)
  EXPECT_NE(a->substr(259, 12), b->substr(259, 12));  // nonces
  EXPECT_NE(a->substr(271), b->substr(271));
}

TEST_P(ObjectCipherTest, AnyFlippedBitIsEio) {
  auto stored = cipher_->Encrypt(Random(100, 7));
  ASSERT_TRUE(stored.has_value());
  // One bit in every byte: header, wrapped key, nonce, ciphertext and tag alike.
  for (size_t i = 0; i < stored->size(); ++i) {
    std::string bad = *stored;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    ExpectEio(bad, "bit " + std::to_string(i % 8) + " of byte " + std::to_string(i));
  }
}

TEST_P(ObjectCipherTest, TruncatedOrExtendedObjectIsEio) {
  auto stored = cipher_->Encrypt(Random(1000, 3));
  ASSERT_TRUE(stored.has_value());
  for (size_t n : {size_t{0}, size_t{2}, size_t{3}, size_t{258}, size_t{271}, size_t{286},
                   stored->size() - 1000, stored->size() - 1}) {
    ExpectEio(std::string_view(*stored).substr(0, n), "first " + std::to_string(n) + " bytes");
  }
  ExpectEio(*stored + "x", "one byte appended");
}

TEST_P(ObjectCipherTest, AnotherKeyOrAlgorithmIsEio) {
  auto stored = cipher_->Encrypt("secret");
  ASSERT_TRUE(stored.has_value());
  auto other_key = Cipher("other.pem", GetParam());
  ASSERT_TRUE(other_key);
  EXPECT_EQ(other_key->Decrypt(*stored).error().code(), EIO);
  CipherAlgo other = GetParam() == CipherAlgo::kAes256Gcm ? CipherAlgo::kChaCha20Poly1305
                                                          : CipherAlgo::kAes256Gcm;
  auto other_algo = Cipher("pkcs8.pem", other);
  ASSERT_TRUE(other_algo);
  auto got = other_algo->Decrypt(*stored);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), EIO);
  EXPECT_NE(got.error().message().find("authentication failed"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Algos, ObjectCipherTest,
                         ::testing::Values(CipherAlgo::kAes256Gcm, CipherAlgo::kChaCha20Poly1305),
                         testing::AlgoName);

TEST(ParseEncryptAlgoTest, JuicefsNames) {
  EXPECT_EQ(*ParseEncryptAlgo(""), CipherAlgo::kAes256Gcm);
  EXPECT_EQ(*ParseEncryptAlgo("aes256gcm-rsa"), CipherAlgo::kAes256Gcm);
  EXPECT_EQ(*ParseEncryptAlgo("chacha20-rsa"), CipherAlgo::kChaCha20Poly1305);
  auto sm4 = ParseEncryptAlgo("sm4gcm");
  ASSERT_FALSE(sm4.has_value());
  EXPECT_NE(sm4.error().message().find("not supported"), std::string::npos);
  EXPECT_EQ(ParseEncryptAlgo("rot13").error().code(), EINVAL);
}

}  // namespace
}  // namespace tierfs::object
