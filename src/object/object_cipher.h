// ObjectCipher: one object's plaintext <-> its stored bytes on an encrypted volume, byte for
// byte as JuiceFS writes them (pkg/object/encrypt.go dataEncryptor; FORMAT.md §3, docs/format.md
// "Encrypted objects"). Every object gets a fresh random data key and nonce:
//
//   [0, 2)  u16 big-endian  W = length of the wrapped data key (the RSA modulus bytes)
//   [2]     u8              N = length of the nonce (12)
//   [3, 3+W)                the data key wrapped with the volume's RSA key (RsaKey::Wrap:
//                           RSA-OAEP, SHA-256, MGF1 SHA-256, label "keys")
//   [3+W, 3+W+N)            the nonce
//   then                    AEAD ciphertext of the plaintext || 16-byte tag, no associated data
//
// The AEAD is EncryptAlgo's: "aes256gcm-rsa" (also an empty EncryptAlgo) AES-256-GCM,
// "chacha20-rsa" IETF ChaCha20-Poly1305; both take a 32-byte data key. JuiceFS's "sm4gcm" (SM2
// key, SM4-GCM) is not implemented.
//
// Errors: Decrypt returns EIO saying what is wrong (malformed header, a data key that does not
// unwrap, a tag that does not verify): any changed bit of a stored object is caught, never
// returned as plaintext. Encrypt fails only when OpenSSL does (EIO).
// Thread-safety: immutable; Encrypt and Decrypt may run concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "object/rsa_key.h"
#include "util/status.h"

typedef struct evp_cipher_st EVP_CIPHER;

namespace tierfs::object {

enum class CipherAlgo { kAes256Gcm, kChaCha20Poly1305 };

inline constexpr size_t kCipherHeaderBytes = 3;  // u16 wrapped-key length + u8 nonce length
inline constexpr size_t kNonceBytes = 12;        // GCM and ChaCha20-Poly1305 standard nonce
inline constexpr size_t kTagBytes = 16;          // the AEAD tag
inline constexpr size_t kDataKeyBytes = 32;      // AES-256 / ChaCha20 key

// The volume setting's EncryptAlgo: "" and "aes256gcm-rsa" -> kAes256Gcm, "chacha20-rsa" ->
// kChaCha20Poly1305; EINVAL naming the known ones otherwise ("sm4gcm" as not supported).
Result<CipherAlgo> ParseEncryptAlgo(std::string_view name);

class ObjectCipher {
 public:
  // EINVAL when OpenSSL lacks the AEAD (a FIPS-only build without ChaCha20).
  static Result<std::shared_ptr<const ObjectCipher>> New(std::shared_ptr<const RsaKey> key,
                                                         CipherAlgo algo);
  ~ObjectCipher();
  ObjectCipher(const ObjectCipher&) = delete;
  ObjectCipher& operator=(const ObjectCipher&) = delete;

  // The stored bytes for `plain`: plain.size() + Overhead() bytes.
  Result<std::string> Encrypt(std::string_view plain) const;
  // The plaintext of `stored`; EIO with the reason when it is not exactly what Encrypt made.
  Result<std::string> Decrypt(std::string_view stored) const;
  // Bytes an object grows by: 3 + RSA modulus bytes + 12 + 16 (JuiceFS MaxOverhead).
  size_t Overhead() const;

 private:
  ObjectCipher(std::shared_ptr<const RsaKey> key, EVP_CIPHER* cipher)
      : key_(std::move(key)), cipher_(cipher) {}

  std::shared_ptr<const RsaKey> key_;
  EVP_CIPHER* cipher_;  // owned (fetched once: per-call implicit fetches cost a lookup)
};

}  // namespace tierfs::object
