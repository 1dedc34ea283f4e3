// Format::EncryptSecrets / DecryptSecrets (format.h): the setting's secrets as JuiceFS keeps
// them (pkg/meta/config.go newCipher, Encrypt, Decrypt).
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "meta/format.h"
#include "util/base64.h"

namespace tierfs::meta {
namespace {

constexpr size_t kNonceBytes = 12;  // Go cipher.NewGCM's standard nonce
constexpr size_t kTagBytes = 16;
constexpr size_t kKeyBytes = 16;  // MD5 -> AES-128

auto* U8(char* p) { return reinterpret_cast<unsigned char*>(p); }
auto* U8(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// The AES-128-GCM key: MD5 of the UUID's text.
std::string SecretKeyOf(const std::string& uuid) {
  std::string key(kKeyBytes, '\0');
  unsigned int n = 0;
  if (EVP_Digest(uuid.data(), uuid.size(), U8(key.data()), &n, EVP_md5(), nullptr) != 1 ||
      n != kKeyBytes) {
    return {};
  }
  return key;
}

// AES-128-GCM of `in` (seal: in -> ct||tag; open: ct||tag -> plaintext, false on a bad tag).
bool Gcm(bool seal, const std::string& key, const char* nonce, std::string_view in,
         std::string& out) {
  if (!seal && in.size() < kTagBytes) return false;
  const size_t len = seal ? in.size() : in.size() - kTagBytes;
  out.assign(len + (seal ? kTagBytes : 0), '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  unsigned char fin[EVP_MAX_BLOCK_LENGTH];
  std::string tag(seal ? std::string(kTagBytes, '\0') : std::string(in.substr(len)));
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), EVP_aes_128_gcm(), U8(key.data()), U8(nonce),
                                 seal ? 1 : 0, nullptr) != 1) {
    return false;
  }
  if (len > 0 && (EVP_CipherUpdate(ctx.get(), U8(out.data()), &n, U8(in.data()),
                                   static_cast<int>(len)) != 1 ||
                  static_cast<size_t>(n) != len)) {
    return false;
  }
  if (!seal && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag.data()) != 1)
    return false;
  if (EVP_CipherFinal_ex(ctx.get(), fin, &n) != 1) return false;
  if (seal)
    return EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes, out.data() + len) == 1;
  return true;
}

Status CheckAlgo(const std::string& algo) {
  if (algo == "sm4gcm")
    return Status(EINVAL, "volume secrets encrypted with SM4-GCM (EncryptAlgo sm4gcm) are not "
                          "supported");
  return Status::Ok();
}

}  // namespace

Status Format::EncryptSecrets() {
  if (key_encrypted || (secret_key.empty() && session_token.empty() && encrypt_key.empty()))
    return Status::Ok();
  RETURN_IF_ERROR(CheckAlgo(encrypt_algo));
  const std::string key = SecretKeyOf(uuid);
  if (key.empty()) return Status(EIO, "encrypt secrets: MD5 is not available");
  for (std::string* secret : {&secret_key, &session_token, &encrypt_key}) {
    if (secret->empty()) continue;
    char nonce[kNonceBytes];
    std::string sealed;
    if (RAND_bytes(U8(nonce), kNonceBytes) != 1 || !Gcm(true, key, nonce, *secret, sealed)) {
      ERR_clear_error();
      return Status(EIO, "encrypt secrets: AES-GCM failed");
    }
    OPENSSL_cleanse(secret->data(), secret->size());
    *secret = Base64Encode(std::string(nonce, kNonceBytes) + sealed);
  }
  key_encrypted = true;
  return Status::Ok();
}

Status Format::DecryptSecrets() {
  if (!key_encrypted) return Status::Ok();
  RETURN_IF_ERROR(CheckAlgo(encrypt_algo));
  const std::string key = SecretKeyOf(uuid);
  if (key.empty()) return Status(EIO, "decrypt secrets: MD5 is not available");
  // Every field decrypts before any is replaced: a failure leaves the setting as it was.
  std::string plain[3];
  std::string* fields[3] = {&secret_key, &session_token, &encrypt_key};
  static constexpr const char* kNames[3] = {"SecretKey", "SessionToken", "EncryptKey"};
  for (int i = 0; i < 3; ++i) {
    const std::string& v = *fields[i];
    if (v.empty()) continue;
    if (v == "removed")
      return Status(EINVAL, "secret was removed; please correct it with `config` command");
    std::optional<std::string> decoded = Base64Decode(v);
    if (!decoded) return Status(EINVAL, std::string("decode ") + kNames[i] + ": not base64");
    const std::string& raw = *decoded;
    if (raw.size() < kNonceBytes ||
        !Gcm(false, key, raw.data(), std::string_view(raw).substr(kNonceBytes), plain[i])) {
      ERR_clear_error();
      return Status(EINVAL, std::string("decrypt ") + kNames[i] +
                                ": message authentication failed (was the UUID or value changed?)");
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (!fields[i]->empty()) *fields[i] = std::move(plain[i]);
  }
  key_encrypted = false;
  return Status::Ok();
}

}  // namespace tierfs::meta
