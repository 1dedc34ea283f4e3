// RsaKey: the volume's RSA private key, which wraps the per-object data keys of an encrypted
// volume (JuiceFS pkg/object/encrypt.go: ParsePrivateKeyFromPem, rsaEncryptor).
//
// The key is the PEM text stored in the setting's EncryptKey (what `format --encrypt-rsa-key`
// read from the file): PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"), plain or
// encrypted (legacy OpenSSL "Proc-Type: 4,ENCRYPTED" + "DEK-Info", or "ENCRYPTED PRIVATE KEY").
// An encrypted key needs the passphrase (the CLI passes $JFS_RSA_PASSPHRASE); a plain key
// ignores one. Only RSA keys: JuiceFS's SM2 keys (EncryptAlgo sm4gcm) are refused.
//
// Wrap/Unwrap: RSA-OAEP with SHA-256 as both the OAEP hash and the MGF1 hash, label the four
// bytes "keys" (kOaepLabel); anything else makes JuiceFS's objects unreadable and ours to it.
//
// Errors: EINVAL for every problem with the key (not PEM, wrong passphrase, not RSA, missing
// passphrase: kNeedPassphrase); Unwrap gives EIO when the wrapped key does not decrypt (a
// corrupt object or another volume's key).
// Thread-safety: immutable after FromPem; Wrap, Unwrap and SignSha256 may run concurrently (each
// call uses its own OpenSSL context over the shared read-only key).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tierfs::object {

// The OAEP label of every wrapped data key (JuiceFS NewRSAEncryptor).
inline constexpr std::string_view kOaepLabel = "keys";
// The message of the missing-passphrase error, as JuiceFS words it (cmd/format.go).
inline constexpr std::string_view kNeedPassphrase =
    "passphrase is required to private key: please set the 'JFS_RSA_PASSPHRASE' environment "
    "variable";

class RsaKey {
 public:
  // Parses the first private key in `pem`. `passphrase` may be empty (then an encrypted key
  // fails with kNeedPassphrase).
  static Result<std::shared_ptr<const RsaKey>> FromPem(std::string_view pem,
                                                       std::string_view passphrase);
  ~RsaKey();
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  // The modulus size in bytes (256 for a 2048-bit key): the length of every wrapped key.
  size_t ModulusBytes() const { return modulus_bytes_; }
  // RSA-OAEP encryption of `data_key` with the public half; ModulusBytes() bytes.
  Result<std::string> Wrap(std::string_view data_key) const;
  // The reverse, with the private half.
  Result<std::string> Unwrap(std::string_view wrapped) const;
  // RSASSA-PKCS1-v1_5 with SHA-256 over `data` (RFC 8017 section 8.2; JWS "RS256", RFC 7518
  // section 3.3): ModulusBytes() bytes. For the service-account tokens of gcs_auth.h.
  Result<std::string> SignSha256(std::string_view data) const;

 private:
  RsaKey(EVP_PKEY* pkey, size_t modulus_bytes) : pkey_(pkey), modulus_bytes_(modulus_bytes) {}

  EVP_PKEY* pkey_;  // owned
  size_t modulus_bytes_;
};

}  // namespace tierfs::object
