#include "cli/volume_store.h"

#include <cstdlib>

#include "object/encrypted_store.h"
#include "object/rsa_key.h"

namespace tierfs::cli {
namespace {

// The RSA key's passphrase (JuiceFS reads the same variable). The CLI is where tierfs reads its
// environment.
std::string RsaPassphrase() {
  const char* p = std::getenv("JFS_RSA_PASSPHRASE");
  return p ? p : "";
}

}  // namespace

Result<std::unique_ptr<object::ObjectStore>> OpenVolumeStore(const meta::Format& format) {
  meta::Format f = format;
  if (Status s = f.DecryptSecrets(); !s.ok())
    return Err(s.code(), "format decrypt: " + s.message());
  // The key is checked before the backend is opened, so that a bad key changes nothing.
  std::shared_ptr<const object::ObjectCipher> cipher;
  if (!f.encrypt_key.empty()) {
    ASSIGN_OR_RETURN(object::CipherAlgo algo, object::ParseEncryptAlgo(f.encrypt_algo));
    ASSIGN_OR_RETURN(auto key, object::RsaKey::FromPem(f.encrypt_key, RsaPassphrase()));
    ASSIGN_OR_RETURN(cipher, object::ObjectCipher::New(std::move(key), algo));
  }
  object::StoreConfig sc{f.storage, f.bucket, f.access_key, f.secret_key, f.session_token};
  ASSIGN_OR_RETURN(auto raw, object::OpenObjectStore(sc));
  auto store = object::WithPrefix(std::move(raw), f.name + "/");
  if (cipher) store = object::WithEncryption(std::move(store), std::move(cipher));
  return store;
}

}  // namespace tierfs::cli
