// WithEncryption over a MemStore: whole-object GET then the cut range, stored bytes are the
// JuiceFS layout, damage is EBADMSG (corrupt data, not retried) naming the object, the inner
// store's errors pass through.
#include "object/encrypted_store.h"

#include <gtest/gtest.h>

#include "object/mem_store.h"
#include "test_keys.h"

namespace tierfs::object {
namespace {

class EncryptedStoreTest : public testing::WithTestKeys<::testing::TestWithParam<CipherAlgo>> {
 protected:
  void SetUp() override {
    WithTestKeys::SetUp();
    cipher_ = Cipher("pkcs8.pem", GetParam());
    ASSERT_TRUE(cipher_);
    auto mem = std::make_unique<MemStore>("enc");
    raw_ = mem.get();
    store_ = WithEncryption(std::move(mem), cipher_);
  }
  // Replaces the stored bytes of `key` with f(stored bytes).
  template <class F>
  void Tamper(const std::string& key, F f) {
    auto stored = raw_->Get(key);
    ASSERT_TRUE(stored.has_value());
    ASSERT_TRUE(raw_->Put(key, f(*stored)).ok());
  }
  void ExpectCorruptNamingKey(const std::string& key) {
    for (auto [off, limit] : {std::pair<uint64_t, int64_t>{0, -1}, {10, 5}}) {
      auto got = store_->Get(key, off, limit);
      ASSERT_FALSE(got.has_value()) << "read " << got->size() << " bytes of a damaged object";
      EXPECT_EQ(got.error().code(), EBADMSG);
      EXPECT_NE(got.error().message().find(key), std::string::npos) << got.error().message();
    }
  }

  std::shared_ptr<const ObjectCipher> cipher_;
  MemStore* raw_ = nullptr;  // owned by store_
  std::unique_ptr<ObjectStore> store_;
};

const std::string kPlain = [] {
  std::string s;
  for (int i = 0; i < 10000; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}();

TEST_P(EncryptedStoreTest, StoresTheCiphertextAndReadsThePlaintext) {
  ASSERT_TRUE(store_->Put("chunks/0/0/1_0_10000", kPlain).ok());
  auto stored = raw_->Get("chunks/0/0/1_0_10000");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), kPlain.size() + cipher_->Overhead());
  EXPECT_EQ(stored->find("abcdefghij"), std::string::npos);
  auto back = cipher_->Decrypt(*stored);  // the stored bytes are exactly the cipher's format
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == kPlain);
  auto got = store_->Get("chunks/0/0/1_0_10000");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_TRUE(*got == kPlain);
  EXPECT_EQ(store_->Head("chunks/0/0/1_0_10000")->size, stored->size());
  auto listed = store_->List("chunks/");
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, stored->size());
  EXPECT_NE(store_->Describe().find("encrypted"), std::string::npos);
}

TEST_P(EncryptedStoreTest, RangedReadsCutThePlaintext) {
  ASSERT_TRUE(store_->Put("k", kPlain).ok());
  EXPECT_EQ(*store_->Get("k", 100, 50), kPlain.substr(100, 50));
  EXPECT_EQ(*store_->Get("k", 9990, 100), kPlain.substr(9990));  // clipped at the end
  EXPECT_EQ(*store_->Get("k", 4096), kPlain.substr(4096));
  EXPECT_EQ(*store_->Get("k", 10000), "");
  EXPECT_EQ(*store_->Get("k", 20000, 5), "");
  EXPECT_EQ(*store_->Get("k", 5, 0), "");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
}

TEST_P(EncryptedStoreTest, FlippedBitIsEioNamingTheObject) {
  ASSERT_TRUE(store_->Put("chunks/0/0/7_0_10000", kPlain).ok());
  Tamper("chunks/0/0/7_0_10000", [](std::string s) {
    s[s.size() / 2] ^= 0x10;  // in the ciphertext
    return s;
  });
  ExpectCorruptNamingKey("chunks/0/0/7_0_10000");
}

TEST_P(EncryptedStoreTest, TruncatedObjectIsEio) {
  ASSERT_TRUE(store_->Put("chunks/0/0/8_0_10000", kPlain).ok());
  Tamper("chunks/0/0/8_0_10000", [](std::string s) { return s.substr(0, s.size() - 1); });
  ExpectCorruptNamingKey("chunks/0/0/8_0_10000");
  Tamper("chunks/0/0/8_0_10000", [](std::string s) { return s.substr(0, 2); });
  ExpectCorruptNamingKey("chunks/0/0/8_0_10000");
}

TEST_P(EncryptedStoreTest, PlaintextObjectIsEio) {
  // An object put around the wrapper (a tierfs before encryption, a misconfigured client).
  ASSERT_TRUE(raw_->Put("juicefs_uuid", "3f2a1b4c-0000-4000-8000-000000000000").ok());
  ExpectCorruptNamingKey("juicefs_uuid");
}

TEST_P(EncryptedStoreTest, InnerErrorsPassThrough) {
  EXPECT_EQ(store_->Get("missing").error().code(), ENOENT);
  EXPECT_EQ(store_->Head("missing").error().code(), ENOENT);
  EXPECT_TRUE(store_->Delete("missing").ok());
  ASSERT_TRUE(store_->Put("gone", "x").ok());
  ASSERT_TRUE(store_->Delete("gone").ok());
  EXPECT_EQ(raw_->Get("gone").error().code(), ENOENT);
  EXPECT_EQ(store_->Put("/abs", "x").code(), EINVAL);
  EXPECT_TRUE(store_->Create().ok());
}

INSTANTIATE_TEST_SUITE_P(Algos, EncryptedStoreTest,
                         ::testing::Values(CipherAlgo::kAes256Gcm, CipherAlgo::kChaCha20Poly1305),
                         testing::AlgoName);

}  // namespace
}  // namespace tierfs::object
