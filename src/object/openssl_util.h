// Small OpenSSL helpers shared by rsa_key.cc and object_cipher.cc (not a public interface):
// owning pointers for the EVP contexts, and the text of OpenSSL's queued error.
//
// Thread-safety: OpenSSL's error queue is per thread, so OpenSslError() reports the calling
// thread's last failure.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace tierfs::object::ossl {

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// The reason of the oldest queued OpenSSL error ("bad decrypt"), or `fallback` when the queue
// is empty; clears the thread's queue either way so that no stale error leaks into a later
// message.
inline std::string OpenSslError(const char* fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : fallback;
}

}  // namespace tierfs::object::ossl
