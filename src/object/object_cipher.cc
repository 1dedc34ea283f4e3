#include "object/object_cipher.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "object/openssl_util.h"

namespace tierfs::object {
namespace {

auto* U8(char* p) { return reinterpret_cast<unsigned char*>(p); }
auto* U8(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

// EVP_*Update take an int length: objects larger than that go through in pieces.
constexpr size_t kMaxUpdate = size_t{1} << 30;

// Runs the AEAD over `in` into `out` (same length) with an initialised context.
bool Crypt(EVP_CIPHER_CTX* ctx, bool encrypt, const char* in, size_t len, char* out) {
  for (size_t done = 0; done < len;) {
    int piece = static_cast<int>(std::min(len - done, kMaxUpdate));
    int n = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, U8(out + done), &n, U8(in + done), piece)
                     : EVP_DecryptUpdate(ctx, U8(out + done), &n, U8(in + done), piece);
    if (ok != 1 || n != piece) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Clears a data key when it goes out of scope.
struct Cleansed {
  std::string bytes;
  ~Cleansed() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Status Malformed(const std::string& why) { return Status(EIO, "malformed ciphertext: " + why); }

}  // namespace

Result<CipherAlgo> ParseEncryptAlgo(std::string_view name) {
  if (name.empty() || name == "aes256gcm-rsa") return CipherAlgo::kAes256Gcm;
  if (name == "chacha20-rsa") return CipherAlgo::kChaCha20Poly1305;
  if (name == "sm4gcm")
    return Err(EINVAL, "encryption algorithm sm4gcm (SM2/SM4) is not supported");
  return Err(EINVAL, "unknown encryption algorithm '" + std::string(name) +
                         "' (known: aes256gcm-rsa, chacha20-rsa)");
}

Result<std::shared_ptr<const ObjectCipher>> ObjectCipher::New(std::shared_ptr<const RsaKey> key,
                                                              CipherAlgo algo) {
  const char* name = algo == CipherAlgo::kAes256Gcm ? "AES-256-GCM" : "ChaCha20-Poly1305";
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr)
    return Err(EINVAL, std::string("OpenSSL does not provide ") + name + ": " +
                           ossl::OpenSslError("not found"));
  return std::shared_ptr<const ObjectCipher>(new ObjectCipher(std::move(key), cipher));
}

ObjectCipher::~ObjectCipher() { EVP_CIPHER_free(cipher_); }

size_t ObjectCipher::Overhead() const {
  return kCipherHeaderBytes + key_->ModulusBytes() + kNonceBytes + kTagBytes;
}

Result<std::string> ObjectCipher::Encrypt(std::string_view plain) const {
  Cleansed data_key{std::string(kDataKeyBytes, '\0')};
  char nonce[kNonceBytes];
  if (RAND_bytes(U8(data_key.bytes.data()), kDataKeyBytes) != 1 ||
      RAND_bytes(U8(nonce), kNonceBytes) != 1) {
    return Err(EIO, "encrypt: no random bytes: " + ossl::OpenSslError("RAND_bytes failed"));
  }
  ASSIGN_OR_RETURN(std::string wrapped, key_->Wrap(data_key.bytes));
  if (wrapped.size() > 0xFFFF) return Err(EIO, "encrypt: wrapped key too long for the header");

  const size_t header = kCipherHeaderBytes + wrapped.size() + kNonceBytes;
  std::string out(header + plain.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(wrapped.size() >> 8);
  out[1] = static_cast<char>(wrapped.size() & 0xFF);
  out[2] = static_cast<char>(kNonceBytes);
  std::memcpy(out.data() + kCipherHeaderBytes, wrapped.data(), wrapped.size());
  std::memcpy(out.data() + kCipherHeaderBytes + wrapped.size(), nonce, kNonceBytes);

  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  unsigned char fin[EVP_MAX_BLOCK_LENGTH];  // AEADs emit nothing at the end
  int n = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), cipher_, U8(data_key.bytes.data()), U8(nonce), nullptr) != 1 ||
      !Crypt(ctx.get(), true, plain.data(), plain.size(), out.data() + header) ||
      EVP_EncryptFinal_ex(ctx.get(), fin, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes,
                          out.data() + header + plain.size()) != 1) {
    return Err(EIO, "encrypt: " + ossl::OpenSslError("AEAD failed"));
  }
  return out;
}

Result<std::string> ObjectCipher::Decrypt(std::string_view stored) const {
  if (stored.size() < kCipherHeaderBytes)
    return Err(Malformed(std::to_string(stored.size()) + " bytes, shorter than the header"));
  const auto* b = U8(stored.data());
  const size_t key_len = (size_t{b[0]} << 8) | b[1];
  const size_t nonce_len = b[2];
  const size_t header = kCipherHeaderBytes + key_len + nonce_len;
  if (header + kTagBytes > stored.size()) {
    return Err(Malformed("wrapped key " + std::to_string(key_len) + " + nonce " +
                         std::to_string(nonce_len) + " bytes do not fit in " +
                         std::to_string(stored.size()) + " bytes with the tag"));
  }
  if (nonce_len != kNonceBytes)
    return Err(Malformed("nonce of " + std::to_string(nonce_len) + " bytes, expected 12"));
  if (key_len != key_->ModulusBytes()) {
    return Err(Malformed("wrapped key of " + std::to_string(key_len) + " bytes; the volume key " +
                         "wraps to " + std::to_string(key_->ModulusBytes())));
  }
  auto unwrapped = key_->Unwrap(stored.substr(kCipherHeaderBytes, key_len));
  if (!unwrapped) return Err(unwrapped.error());
  Cleansed data_key{std::move(*unwrapped)};
  if (data_key.bytes.size() != kDataKeyBytes)
    return Err(Malformed("data key of " + std::to_string(data_key.bytes.size()) + " bytes"));

  const char* nonce = stored.data() + kCipherHeaderBytes + key_len;
  const size_t len = stored.size() - header - kTagBytes;
  std::string tag(stored.substr(header + len));  // SET_TAG takes a non-const pointer
  std::string plain(len, '\0');
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  unsigned char fin[EVP_MAX_BLOCK_LENGTH];  // AEADs emit nothing at the end
  int n = 0;
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), cipher_, U8(data_key.bytes.data()), U8(nonce), nullptr) != 1 ||
      !Crypt(ctx.get(), false, stored.data() + header, len, plain.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag.data()) != 1) {
    return Err(EIO, "decrypt: " + ossl::OpenSslError("AEAD failed"));
  }
  if (EVP_DecryptFinal_ex(ctx.get(), fin, &n) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(plain.data(), plain.size());
    return Err(EIO, "message authentication failed: the object was changed, or written with "
                    "another key");
  }
  return plain;
}

}  // namespace tierfs::object
