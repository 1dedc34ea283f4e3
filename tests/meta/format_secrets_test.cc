// Format::EncryptSecrets / DecryptSecrets: JuiceFS's scheme for the secrets in the setting
// (AES-128-GCM keyed with MD5 of the UUID, base64 of nonce || ciphertext || tag).
#include <gtest/gtest.h>

#include "meta/format.h"

namespace tierfs::meta {
namespace {

// What `juicefs format --access-key ak --secret-key tierfs-secret --session-token tok-123`
// (v1.4.2) stored: the fields that matter here.
const char* kJuicefsEncrypted = R"({
"Name": "vol2",
"UUID": "36316dc5-d3c2-4991-b368-2e2e2b153668",
"Storage": "file",
"Bucket": "/tmp/jb2/",
"AccessKey": "ak",
"SecretKey": "R/cD27zhPZ3Q0y4l+mkbLrgAXQGMBdqUjMgjeqTP1LAiFxMzpPKfXZ4=",
"SessionToken": "nINKaktxs11zInt2B++z75LwY5UA2FEPgzkYsG5kwZdnkQ8=",
"BlockSize": 4096,
"EncryptAlgo": "aes256gcm-rsa",
"KeyEncrypted": true,
"TrashDays": 1
})";

TEST(FormatSecretsTest, DecryptsWhatJuicefsEncrypted) {
  auto f = Format::FromJson(kJuicefsEncrypted);
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_TRUE(f->key_encrypted);
  ASSERT_TRUE(f->DecryptSecrets().ok());
  EXPECT_FALSE(f->key_encrypted);
  EXPECT_EQ(f->access_key, "ak");  // never encrypted
  EXPECT_EQ(f->secret_key, "tierfs-secret");
  EXPECT_EQ(f->session_token, "tok-123");
  EXPECT_TRUE(f->DecryptSecrets().ok());  // a no-op now
  EXPECT_EQ(f->secret_key, "tierfs-secret");
}

TEST(FormatSecretsTest, EncryptRoundTripsWithAFreshNoncePerField) {
  Format f;
  f.name = "vol";
  f.uuid = "36316dc5-d3c2-4991-b368-2e2e2b153668";
  f.secret_key = "tierfs-secret";
  f.encrypt_key = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n";
  ASSERT_TRUE(f.EncryptSecrets().ok());
  EXPECT_TRUE(f.key_encrypted);
  EXPECT_TRUE(f.session_token.empty());  // empty secrets stay empty
  EXPECT_NE(f.secret_key, "tierfs-secret");
  // base64 of 12 + 13 + 16 bytes; a second Encrypt is a no-op.
  EXPECT_EQ(f.secret_key.size(), 56u);
  std::string once = f.secret_key;
  ASSERT_TRUE(f.EncryptSecrets().ok());
  EXPECT_EQ(f.secret_key, once);
  std::string json = f.ToJson();
  EXPECT_NE(json.find("\"KeyEncrypted\": true"), std::string::npos);
  EXPECT_EQ(json.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(f.ToJson(/*remove_secrets=*/true).find("\"EncryptKey\": \"removed\""),
            std::string::npos);

  auto back = Format::FromJson(json);
  ASSERT_TRUE(back.has_value());
  ASSERT_TRUE(back->DecryptSecrets().ok());
  EXPECT_EQ(back->secret_key, "tierfs-secret");
  EXPECT_EQ(back->encrypt_key, "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n");

  Format again = f;  // the same secret encrypts differently each time (random nonce)
  again.key_encrypted = false;
  again.secret_key = "tierfs-secret";
  ASSERT_TRUE(again.EncryptSecrets().ok());
  EXPECT_NE(again.secret_key, f.secret_key);
}

TEST(FormatSecretsTest, NoSecretsLeavesKeyEncryptedUnset) {
  Format f;
  f.uuid = "36316dc5-d3c2-4991-b368-2e2e2b153668";
  f.access_key = "ak";
  ASSERT_TRUE(f.EncryptSecrets().ok());
  EXPECT_FALSE(f.key_encrypted);
  EXPECT_EQ(f.ToJson().find("KeyEncrypted"), std::string::npos);
}

TEST(FormatSecretsTest, DamagedRemovedOrForeignSecretsAreRefusedUnchanged) {
  auto f = Format::FromJson(kJuicefsEncrypted);
  ASSERT_TRUE(f.has_value());
  Format changed_uuid = *f;
  changed_uuid.uuid[0] = '4';
  EXPECT_EQ(changed_uuid.DecryptSecrets().code(), EINVAL);
  EXPECT_TRUE(changed_uuid.key_encrypted);
  EXPECT_EQ(changed_uuid.session_token, f->session_token);  // nothing half-decrypted

  Format removed = *f;
  removed.secret_key = "removed";
  Status st = removed.DecryptSecrets();
  EXPECT_EQ(st.code(), EINVAL);
  EXPECT_NE(st.message().find("secret was removed"), std::string::npos);

  Format not_base64 = *f;
  not_base64.secret_key = "not base64!";
  EXPECT_EQ(not_base64.DecryptSecrets().code(), EINVAL);

  Format flipped = *f;
  flipped.secret_key[10] = flipped.secret_key[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(flipped.DecryptSecrets().code(), EINVAL);

  Format sm4 = *f;
  sm4.encrypt_algo = "sm4gcm";
  EXPECT_EQ(sm4.DecryptSecrets().code(), EINVAL);
}

}  // namespace
}  // namespace tierfs::meta
