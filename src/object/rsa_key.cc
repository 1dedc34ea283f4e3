#include "object/rsa_key.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "object/openssl_util.h"

namespace tierfs::object {
namespace {

// Whether the first PEM block is encrypted, judged as JuiceFS judges it: its type names
// ENCRYPTED ("ENCRYPTED PRIVATE KEY") or a header line says "Proc-Type: 4,ENCRYPTED". Header
// lines are the ones with a ':' (base64 has none), so the body is never searched.
bool FirstBlockEncrypted(std::string_view pem) {
  size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string_view::npos) return false;
  size_t end = pem.find("-----END ", begin);
  std::string_view block = pem.substr(begin, end == pem.npos ? pem.npos : end - begin);
  size_t eol = block.find('\n');
  if (block.substr(0, eol).find("ENCRYPTED") != std::string_view::npos) return true;
  while (eol != std::string_view::npos) {
    size_t next = block.find('\n', eol + 1);
    std::string_view line = block.substr(eol + 1, next == block.npos ? block.npos : next - eol - 1);
    if (line.find(':') == std::string_view::npos) break;  // the headers end at the body
    if (line.starts_with("Proc-Type:") && line.find("ENCRYPTED") != std::string_view::npos)
      return true;
    eol = next;
  }
  return false;
}

// OpenSSL's pem_password_cb: hands over the passphrase (`u` is a std::string_view*).
int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* u) {
  auto* pass = static_cast<const std::string_view*>(u);
  if (pass->empty() || size <= 0) return 0;  // 0: "no passphrase", never a terminal prompt
  size_t n = std::min(pass->size(), static_cast<size_t>(size));
  std::memcpy(buf, pass->data(), n);
  return static_cast<int>(n);
}

// Sets RSA-OAEP, SHA-256 for the hash and for MGF1, label "keys" on an initialised context.
bool SetOaep(EVP_PKEY_CTX* ctx) {
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0) {
    return false;
  }
  // The context takes ownership of an OPENSSL_malloc'ed label on success only.
  void* label = OPENSSL_memdup(kOaepLabel.data(), kOaepLabel.size());
  if (label == nullptr) return false;
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, static_cast<int>(kOaepLabel.size())) <= 0) {
    OPENSSL_free(label);
    return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const RsaKey>> RsaKey::FromPem(std::string_view pem,
                                                      std::string_view passphrase) {
  if (pem.find("-----BEGIN ") == std::string_view::npos)
    return Err(EINVAL, "parse private key: failed to parse PEM block containing the key");
  const bool encrypted = FirstBlockEncrypted(pem);
  if (encrypted && passphrase.empty()) return Err(EINVAL, std::string(kNeedPassphrase));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Err(ENOMEM, "parse private key: out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, &PassphraseCallback, &passphrase);
  BIO_free(bio);
  if (pkey == nullptr) {
    std::string why = ossl::OpenSslError("not a private key");
    if (encrypted) why = "decryption password incorrect (" + why + ")";
    return Err(EINVAL, "parse private key: " + why);
  }
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    std::string type = EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown";
    EVP_PKEY_free(pkey);
    return Err(EINVAL, "parse private key: a " + type +
                           " key; only RSA keys are supported (aes256gcm-rsa, chacha20-rsa)");
  }
  size_t modulus = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  return std::shared_ptr<const RsaKey>(new RsaKey(pkey, modulus));
}

RsaKey::~RsaKey() { EVP_PKEY_free(pkey_); }

namespace {

// One RSA-OAEP operation: EVP_PKEY_encrypt or EVP_PKEY_decrypt (the same signature) after its
// init function; `what` names it in errors.
using OaepInit = int (*)(EVP_PKEY_CTX*);
using OaepOp = int (*)(EVP_PKEY_CTX*, unsigned char*, size_t*, const unsigned char*, size_t);

Result<std::string> Oaep(EVP_PKEY* pkey, OaepInit init, OaepOp op, std::string_view in,
                         const char* what) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  size_t n = 0;
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  if (!ctx || init(ctx.get()) <= 0 || !SetOaep(ctx.get()) ||
      op(ctx.get(), nullptr, &n, src, in.size()) <= 0) {
    return Err(EIO, std::string(what) + ": " + ossl::OpenSslError("RSA-OAEP set-up failed"));
  }
  std::string out(n, '\0');
  if (op(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, src, in.size()) <= 0) {
    return Err(EIO, std::string(what) + ": " + ossl::OpenSslError("RSA-OAEP failed"));
  }
  out.resize(n);
  return out;
}

}  // namespace

Result<std::string> RsaKey::Wrap(std::string_view data_key) const {
  return Oaep(pkey_, &EVP_PKEY_encrypt_init, &EVP_PKEY_encrypt, data_key, "encrypt data key");
}

Result<std::string> RsaKey::Unwrap(std::string_view wrapped) const {
  return Oaep(pkey_, &EVP_PKEY_decrypt_init, &EVP_PKEY_decrypt, wrapped, "decrypt data key");
}

Result<std::string> RsaKey::SignSha256(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t n = 0;
  const auto* src = reinterpret_cast<const unsigned char*>(data.data());
  // An RSA key's default padding for signatures is PKCS#1 v1.5.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, src, data.size()) != 1) {
    return Err(EIO, "sign: " + ossl::OpenSslError("RSA-SHA256 set-up failed"));
  }
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, src,
                     data.size()) != 1) {
    return Err(EIO, "sign: " + ossl::OpenSslError("RSA-SHA256 failed"));
  }
  sig.resize(n);
  return sig;
}

}  // namespace tierfs::object
