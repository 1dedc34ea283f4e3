// Interop with the real JuiceFS at the object level: `juicefs format --encrypt-rsa-key` writes
// `{name}/juicefs_uuid` through its encrypted storage, and our stack (file -> prefix ->
// encryption) decrypts it to the volume's UUID, for both algorithms and for a passphrase-
// protected key. (Block objects both ways, with lz4 and zstd: tests/e2e/test_encryption.py.)
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "juicefs_required.h"
#include "object/encrypted_store.h"
#include "object/file_store.h"
#include "object/object_store.h"
#include "test_keys.h"

namespace tierfs::object {
namespace {

using testing::kTestPassphrase;
using testing::TestKeys;

struct Case {
  std::string algo;      // --encrypt-algo
  std::string key_file;  // a TestKeys file
  CipherAlgo cipher;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.algo << " with " << c.key_file; }

class JuicefsEncryptionTest : public testing::WithTestKeys<::testing::TestWithParam<Case>> {};

TEST_P(JuicefsEncryptionTest, DecryptsTheUuidObjectJuicefsFormatWrote) {
  TIERFS_SKIP_WITHOUT_JUICEFS();
  const Case& c = GetParam();
  const std::string dir = keys_->Path("vol-" + c.algo);
  std::filesystem::create_directories(dir);
  const std::string env = "JFS_RSA_PASSPHRASE='" + std::string(kTestPassphrase) + "' ";
  ASSERT_TRUE(keys_->Run(env + "juicefs format --bucket " + dir + "/bucket/ --encrypt-rsa-key " +
                            keys_->Path(c.key_file) + " --encrypt-algo " + c.algo +
                            " sqlite3://" + dir + "/meta.db vol"));
  ASSERT_TRUE(keys_->Run("juicefs status sqlite3://" + dir + "/meta.db"));
  std::smatch m;
  const std::string status = keys_->Pem("cmd.out");
  ASSERT_TRUE(std::regex_search(status, m, std::regex("\"UUID\": \"([0-9a-f-]{36})\""))) << status;
  const std::string uuid = m[1];

  auto key = Key(c.key_file, kTestPassphrase);
  ASSERT_TRUE(key);
  auto cipher = ObjectCipher::New(key, c.cipher);
  ASSERT_TRUE(cipher.has_value());
  auto raw = std::make_unique<FileStore>(dir + "/bucket/");
  FileStore* file = raw.get();
  auto vol = WithEncryption(WithPrefix(std::move(raw), "vol/"), *cipher);
  auto got = vol->Get("juicefs_uuid");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, uuid);
  auto stored = file->Get("vol/juicefs_uuid");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), uuid.size() + (*cipher)->Overhead());
  EXPECT_EQ(stored->find(uuid), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, JuicefsEncryptionTest,
    ::testing::Values(Case{"aes256gcm-rsa", "pkcs8.pem", CipherAlgo::kAes256Gcm},
                      Case{"chacha20-rsa", "pkcs1.pem", CipherAlgo::kChaCha20Poly1305},
                      Case{"aes256gcm-rsa", "enc-legacy.pem", CipherAlgo::kAes256Gcm},
                      Case{"chacha20-rsa", "enc-pkcs8.pem", CipherAlgo::kChaCha20Poly1305}),
    [](const auto& info) {
      std::string name = info.param.algo + "_" + info.param.key_file;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace tierfs::object
